"""Record every module call of one forward pass, doing as little as possible while it runs.

Each call is kept as it happened: the module's path, the module, its input shapes, and each
output tensor with its version counter. An output is known by its identity and version (a
tensor returned by several modules, a Sequential and its last child, is one output; the same
tensor returned again after an in-place write is another). Everything else (names,
statistics, the trace's objects) is worked out afterwards (``tracer/assemble.py``).

Two ways to run the model:

- :func:`run_plain` for a tree of plain ``nn.Sequential`` containers: it does what
  ``Sequential.forward`` does, child by child, and records each call itself, so no hook is
  registered and nothing is added to a module call;
- :func:`wrapped` for any other model: each module's ``forward`` is shadowed, for the pass,
  by a wrapper that records the call (a forward hook where a hook could replace the output).

In-place writes: just before a recorded output's storage is written in place, its value is
copied (:meth:`Recorder.before_write`), so its statistics are of the value the module
returned. :class:`WriteGuard` (a torch function mode) sees every in-place torch operation
coming while code we do not know runs (a custom ``forward``); it is paused while torch's own
``torch.nn`` modules run, which write in place only through their ``inplace`` flag, checked
before the call. A write nobody saw is found afterwards by the version counter
(:meth:`Recorder.unseen`).

This module gathers the names; the work is in :mod:`~bptrace.tracer.recorder` (the
:class:`Recorder`), :mod:`~bptrace.tracer.runmodel` (running the model) and
:mod:`~bptrace.tracer.writeguard` (the :class:`WriteGuard`).
"""

from __future__ import annotations

from bptrace.tracer.recorder import Call, Key, Output, Recorder, call_names, tensors
from bptrace.tracer.runmodel import builtin, plain_tree, run_plain, wrapped
from bptrace.tracer.writeguard import IN_PLACE_DUNDERS, WRITE_KINDS, WriteGuard

__all__ = [
    "IN_PLACE_DUNDERS",
    "WRITE_KINDS",
    "Call",
    "Key",
    "Output",
    "Recorder",
    "WriteGuard",
    "builtin",
    "call_names",
    "plain_tree",
    "run_plain",
    "tensors",
    "wrapped",
]
