"""``bptrace explain NAME`` on a module trace: a call's or parameter's statistics and health.

NAME is a module call (``features.0``, ``block.relu#2``, ``(model)``), a module path (all
its calls), or a parameter (``features.0.weight``). Every mark is a character, never only a
colour.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt
from bptrace.model.health import Flag, check
from bptrace.model.modules import ROOT, ModuleCall, ModuleTrace, ParamInfo, TensorInfo


def explain_module(tr: ModuleTrace, name: str, console: Console) -> None:
    """Print what the trace knows of ``name``, its steps, and its health flags."""
    if name not in tr and name != ROOT:
        message = _("unknown name {name!r} (this model has {names})").format(
            name=name, names=tr.describe_names()
        )
        # why the model has no per-neuron names, when the per-neuron trace refused it
        raise BptraceError("; ".join([message, *filter(None, [tr.refusal])]))
    m = tr.model
    console.print(
        Text(
            _("{name} in {title} ({type}, {dtype}, loss {loss})").format(
                name=name, title=m.name or m.type, type=m.type, dtype=m.dtype, loss=m.loss
            ),
            style="bold",
        )
    )
    flags = check(tr)
    calls = _calls_for(tr, name)
    if calls:
        for call in calls:
            _print_call(tr, call, console)
        shown = {c.name for c in calls} | {p.name for p in tr.params_of(calls[0].path)}
        _print_flags([f for f in flags if f.node in shown], console)
        return
    p = tr.param(name)
    _print_param(tr, p, console)
    _print_flags([f for f in flags if f.node == p.name], console)


def _calls_for(tr: ModuleTrace, name: str) -> list[ModuleCall]:
    key = "" if name == ROOT else name
    if key in {m.path for m in tr.modules}:
        return [tr.call(c) for c in tr.module(key).calls]
    if name in {c.name for c in tr.calls}:
        return [tr.call(name)]
    return []


def _stats_lines(rows: list[tuple[str, TensorInfo | None]], console: Console) -> None:
    # Text, not str: a label is a parameter's name, which may look like Rich markup ("[/]")
    width = max(cell_len(label) for label, _t in rows)
    for label, t in rows:
        pad = label + " " * (width - cell_len(label))
        if t is None:
            console.print(Text(f"  {pad}  " + _("none (no gradient flows here)")))
            continue
        shape = "×".join(map(str, t.shape)) or _("scalar")
        console.print(Text(f"  {pad}  {shape} {t.dtype}  {t.stats.short()}"))


def _print_call(tr: ModuleTrace, call: ModuleCall, console: Console) -> None:
    console.print()
    ins = ", ".join("×".join(map(str, s)) for s in call.inputs) or _("nothing")
    outs = ", ".join("×".join(map(str, p.value.shape)) for p in call.outputs) or _("nothing")
    console.print(
        Text(_("call {name} ({type})").format(name=call.name, type=call.type), style="underline")
    )
    console.print("  " + _("forward: {inputs} → {outputs}").format(inputs=ins, outputs=outs))
    rows: list[tuple[str, TensorInfo | None]] = []
    for k, out in enumerate(call.outputs):
        label = _("output") if len(call.outputs) == 1 else _("output {n}").format(n=k + 1)
        rows += [(label, out.value), (f"∂loss/∂{label}", out.grad)]
    if call.index == 1:
        for p in tr.params_of(call.path):
            rows += [(p.name, p.value), (f"∂loss/∂{p.name}", p.grad)]
    _stats_lines(rows, console)
    if call.dead is not None:
        console.print(
            "  "
            + _("dead units (0 for every sample): {percent}%").format(
                percent=f"{100 * call.dead:.1f}"
            )
        )


def _print_param(tr: ModuleTrace, p: ParamInfo, console: Console) -> None:
    console.print()
    console.print(
        Text(
            _("parameter {name} of {module}").format(name=p.name, module=p.module or ROOT),
            style="underline",
        )
    )
    rows: list[tuple[str, TensorInfo | None]] = [
        (_("value"), p.value),
        ("∂loss/∂" + _("value"), p.grad),
    ]
    if p.updated is not None:
        rows.append((_("after SGD (lr {lr})").format(lr=fmt(tr.model.lr or 0.0)), p.updated))
    _stats_lines(rows, console)
    if not p.trainable:
        console.print("  " + _("frozen (requires_grad=False): not updated"))


def _print_flags(flags: list[Flag], console: Console) -> None:
    console.print()
    if not flags:
        console.print(_("gradient health: ✓ no problem found"))
        return
    console.print(Text(_("gradient health:"), style="bold"))
    for f in flags:
        console.print(
            Text(f"  {f.line()}", style="bold red" if f.severity == "error" else "yellow")
        )
