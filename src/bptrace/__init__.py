"""bptrace: watch backpropagation happen, one chain-rule factor at a time.

The public API is imported lazily so that ``import bptrace`` (and ``bptrace view``) never
imports torch; only the functions that need a model pull in :mod:`bptrace.tracer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "BptraceError",
    "Trace",
    "classic",
    "load_spec",
    "load_trace",
    "trace",
    "trace_any",
    "train",
]

if TYPE_CHECKING:
    from bptrace.model.errors import BptraceError
    from bptrace.model.jsonio import load_trace
    from bptrace.model.trace import Trace
    from bptrace.tracer.api import classic, load_spec, trace, trace_any, train

_LAZY = {
    "BptraceError": "bptrace.model.errors",
    "Trace": "bptrace.model.trace",
    "load_trace": "bptrace.model.jsonio",
    "classic": "bptrace.tracer.api",
    "load_spec": "bptrace.tracer.api",
    "trace": "bptrace.tracer.api",
    "trace_any": "bptrace.tracer.api",
    "train": "bptrace.tracer.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bptrace' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once: ``bptrace.trace`` in a loop pays no lookup again
    return value
