"""Where the app's trace comes from, and the one call that asks the tracer for it.

No textual here, and torch only inside :meth:`Source.load` (the app calls it in a thread
worker, after the first frame): a spec file, a built-in example, an exported JSON file read
in the worker (``bptrace view``, no torch), or a trace already made (``--model``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.spec import CLASSIC_TEXT, Spec, parse_spec_text

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleTrace
    from bptrace.model.trace import Trace

    AnyTrace = Trace | ModuleTrace


@dataclass(frozen=True)
class Source:
    """One of: ``spec`` (editable), ``example`` (a torch module), ``path`` (an exported JSON
    trace, read in the worker), or a ready ``trace``."""

    title: str
    spec: Spec | None = None
    example: str | None = None
    trace: AnyTrace | None = None
    read_only: str | None = None  # why editing is off, when it is
    model_ref: tuple[str, str | None, float | None] | None = None  # --model, --state, --lr
    path: str | None = None  # an exported JSON trace (``bptrace view``)

    @classmethod
    def classic(cls) -> Source:
        return cls("classic 2-2-2", spec=parse_spec_text(CLASSIC_TEXT, "classic"))

    @classmethod
    def of_example(cls, name: str) -> Source:
        if name == "classic":
            return cls.classic()
        why = _(
            "the example {name} is a torch module, not a spec: editing needs a spec "
            "(try `bptrace` or `bptrace --spec FILE`)"
        ).format(name=name)
        return cls(_("example {name}").format(name=name), example=name, read_only=why)

    def loading_text(self) -> str:
        """What the screen says while :meth:`load` runs."""
        if self.path is None:
            return _("loading… (importing torch and tracing)")
        try:
            size = f" ({os.stat(self.path).st_size / 2**20:.1f} MiB)"
        except OSError:
            size = ""
        return _("loading… reading {path}{size}").format(path=self.path, size=size)

    def load(self) -> AnyTrace:
        """The trace (made with torch unless it is ready). Call it in a worker thread."""
        if self.trace is not None:
            return self.trace
        if self.path is not None:
            from bptrace.model.jsonio import load_trace

            return load_trace(self.path)
        if self.spec is not None:
            from bptrace.tracer.api import trace_spec

            return trace_spec(self.spec)
        from bptrace.tracer.api import trace_example_any

        assert self.example is not None
        return _settled(trace_example_any(self.example))

    def load_head(self) -> Trace:
        """The per-neuron view of the network's MLP head (torch; call it in a worker)."""
        if self.spec is None and self.example is None and self.model_ref is None:
            raise BptraceError(
                _(
                    "the per-neuron view of a head needs the model itself; "
                    "this trace is numbers only"
                )
            )
        from bptrace.tracer.api import trace_head_of

        return trace_head_of(self.spec, self.example, self.model_ref)

    def load_modules(self) -> ModuleTrace:
        """The per-module view of the same network (torch; call it in a worker)."""
        if self.spec is None and self.example is None and self.model_ref is None:
            raise BptraceError(
                _(
                    "the module view needs the model itself; this trace is numbers only "
                    "(open the spec or example it came from)"
                )
            )
        from bptrace.tracer.api import trace_modules_of

        tr = trace_modules_of(self.spec, self.example, self.model_ref)
        tr.settle()  # the statistics now, in the worker, not on the app's first paint
        return tr


def _settled(tr: AnyTrace) -> AnyTrace:
    """Compute a module trace's statistics now, in the worker, not on the app's first paint."""
    settle = getattr(tr, "settle", None)
    if settle is not None:
        settle()
    return tr
