"""``bptrace explain NAME``: the chain rule for ∂loss/∂NAME, printed with rich.

Readable without colour: every mark is a character (✓/✗), never only a colour.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bptrace.model.describe import step_lines
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value
from bptrace.model.steps import Step
from bptrace.model.trace import Trace

STYLES = {"lhs": "bold", "eq": "", "term": "dim", "check": "green"}


def explain(tr: Trace, name: str, console: Console) -> None:
    """Print the forward step that computes ``name``, its backward step, and its update."""
    if name not in tr:
        raise BptraceError(f"unknown name {name!r} (this network has {tr.describe_names()})")
    node = tr[name]
    net = tr.network
    title = net.name or "model"
    console.print(
        Text(
            f"{name} in {title} ({net.dtype}, sizes {'-'.join(map(str, net.sizes))}, loss {net.loss.name})",
            style="bold",
        )
    )
    console.print(
        f"value: {fmt_value(node.value)}   gradient ∂loss/∂{name}: "
        f"{fmt_value(node.grad) if node.grad is not None else 'none (targets are constants)'}"
    )
    for note in tr.warnings:
        console.print(Text(f"note: {note}", style="dim"))
    steps = tr.steps
    rtol = steps.rtol
    shown = False
    for phase in ("forward", "backward", "update"):
        index = steps.index_of(name, phase)
        if index is None:
            continue
        shown = True
        step = steps[index]
        console.print()
        console.print(Text(f"{phase} step {index + 1} / {len(steps)}", style="underline"))
        _print_step(step, rtol, console)
    if not shown:
        console.print("\n(no step computes this quantity: it is given)")


def _print_step(step: Step, rtol: float, console: Console) -> None:
    for line in step_lines(step, rtol):
        style = STYLES[line.role]
        if line.role == "check" and not step.agrees:
            style = "bold red"
        indent = "  " if line.role in ("lhs", "check") else "    "
        console.print(Text(indent + line.text, style=style))
    if step.phase == "backward" and step.factors:
        table = Table(box=None, padding=(0, 2), show_edge=False)
        table.add_column("term" if len(step.terms) > 1 else "", style="dim")
        table.add_column("factor")
        table.add_column("formula")
        table.add_column("value", justify="right")
        for f in step.factors:
            label = step.terms[f.term].label if len(step.terms) > 1 else ""
            table.add_row(label, f.name, f.formula, fmt_value(f.value))
        console.print()
        console.print(table)
