"""``bptrace explain NAME``: the chain rule for ∂loss/∂NAME, printed with rich.

Readable without colour: every mark is a character (✓/✗), never only a colour.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bptrace.i18n import _
from bptrace.model.describe import phase_name, step_lines, term_label
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value
from bptrace.model.steps import Step
from bptrace.model.trace import Trace

STYLES = {"lhs": "bold", "eq": "", "term": "dim", "check": "green"}


def explain(tr: Trace, name: str, console: Console) -> None:
    """Print the forward step that computes ``name``, its backward step, and its update."""
    if name not in tr:
        raise BptraceError(
            _("unknown name {name!r} (this network has {names})").format(
                name=name, names=tr.describe_names()
            )
        )
    node = tr[name]
    net = tr.network
    title = net.name or _("model")
    head = _("{name} in {title} ({dtype}, sizes {sizes}, loss {loss})").format(
        name=name,
        title=title,
        dtype=net.dtype,
        sizes="-".join(map(str, net.sizes)),
        loss=net.loss.name,
    )
    console.print(Text(head, style="bold"))
    grad = fmt_value(node.grad) if node.grad is not None else _("none (targets are constants)")
    console.print(
        _("value: {value}   gradient {target}: {grad}").format(
            value=fmt_value(node.value), target=f"∂loss/∂{name}", grad=grad
        )
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
        where = _("{phase} step {number} / {total}").format(
            phase=phase_name(phase), number=index + 1, total=len(steps)
        )
        console.print(Text(where, style="underline"))
        _print_step(step, rtol, console)
    if not shown:
        console.print("\n" + _("(no step computes this quantity: it is given)"))


def _print_step(step: Step, rtol: float, console: Console) -> None:
    for line in step_lines(step, rtol):
        style = STYLES[line.role]
        if line.role == "check" and not step.agrees:
            style = "bold red"
        indent = "  " if line.role in ("lhs", "check") else "    "
        console.print(Text(indent + line.text, style=style))
    if step.phase == "backward" and step.factors:
        table = Table(box=None, padding=(0, 2), show_edge=False)
        table.add_column(_("term") if len(step.terms) > 1 else "", style="dim")
        table.add_column(_("factor"))
        table.add_column(_("formula"))
        table.add_column(_("value"), justify="right")
        for f in step.factors:
            label = term_label(step.terms[f.term].label) if len(step.terms) > 1 else ""
            # Text, not str: a str cell is read as Rich markup, which takes "[t1 = 0]" for a tag
            table.add_row(Text(label), Text(f.name), Text(f.formula), fmt_value(f.value))
        console.print()
        console.print(table)
