"""Everything the app and ``explain`` do with a loaded trace, done headless.

Used by the trace-file fuzz test: a file that loads must survive all of this without an
exception (the app's own keys are driven by Pilot on a handful of cases too).
"""

from __future__ import annotations

import io

from rich.console import Console

from bptrace.explain import explain
from bptrace.explain_modules import explain_module
from bptrace.model.describe import step_lines
from bptrace.model.health import check
from bptrace.model.jsonio import dumps
from bptrace.model.modules import ModuleTrace
from bptrace.model.trace import Trace


def exercise(tr: Trace | ModuleTrace) -> None:
    """Every step written out, every name explained, the health check, the export."""
    console = Console(file=io.StringIO(), width=100)
    for flag in check(tr):
        flag.line()
    if isinstance(tr, ModuleTrace):
        for call in tr.calls:
            explain_module(tr, call.name, console)
        dumps(tr)
        return
    steps = tr.steps
    for step in steps:
        step_lines(step, steps.rtol)
    for name in list(tr.names())[:60]:
        explain(tr, name, console)
    for detail in ("scalars", "tensors"):
        dumps(tr, detail)
