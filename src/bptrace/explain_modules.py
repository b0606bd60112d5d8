"""``bptrace explain NAME`` on a module trace: a call's or parameter's statistics and health.

NAME is a module call (``features.0``, ``block.relu#2``, ``(model)``), a module path (all
its calls), or a parameter (``features.0.weight``). Every mark is a character, never only a
colour.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt
from bptrace.model.health import Flag, check
from bptrace.model.modules import ROOT, ModuleCall, ModuleTrace, ParamInfo, TensorInfo


def explain_module(tr: ModuleTrace, name: str, console: Console) -> None:
    """Print what the trace knows of ``name``, its steps, and its health flags."""
    if name not in tr and name != ROOT:
        raise BptraceError(f"unknown name {name!r} (this model has {tr.describe_names()})")
    m = tr.model
    console.print(
        Text(f"{name} in {m.name or m.type} ({m.type}, {m.dtype}, loss {m.loss})", style="bold")
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
    width = max(len(label) for label, _ in rows)
    for label, t in rows:
        if t is None:
            console.print(f"  {label.ljust(width)}  none (no gradient flows here)")
            continue
        shape = "×".join(map(str, t.shape)) or "scalar"
        console.print(f"  {label.ljust(width)}  {shape} {t.dtype}  {t.stats.short()}")


def _print_call(tr: ModuleTrace, call: ModuleCall, console: Console) -> None:
    console.print()
    ins = ", ".join("×".join(map(str, s)) for s in call.inputs) or "nothing"
    outs = ", ".join("×".join(map(str, p.value.shape)) for p in call.outputs) or "nothing"
    console.print(Text(f"call {call.name} ({call.type})", style="underline"))
    console.print(f"  forward: {ins} → {outs}")
    rows: list[tuple[str, TensorInfo | None]] = []
    for k, out in enumerate(call.outputs):
        label = "output" if len(call.outputs) == 1 else f"output {k + 1}"
        rows += [(label, out.value), (f"∂loss/∂{label}", out.grad)]
    if call.index == 1:
        for p in tr.params_of(call.path):
            rows += [(p.name, p.value), (f"∂loss/∂{p.name}", p.grad)]
    _stats_lines(rows, console)
    if call.dead is not None:
        console.print(f"  dead units (0 for every sample): {100 * call.dead:.1f}%")


def _print_param(tr: ModuleTrace, p: ParamInfo, console: Console) -> None:
    console.print()
    console.print(Text(f"parameter {p.name} of {p.module or ROOT}", style="underline"))
    rows: list[tuple[str, TensorInfo | None]] = [("value", p.value), ("∂loss/∂value", p.grad)]
    if p.updated is not None:
        rows.append((f"after SGD (lr {fmt(tr.model.lr or 0.0)})", p.updated))
    _stats_lines(rows, console)
    if not p.trainable:
        console.print("  frozen (requires_grad=False): not updated")


def _print_flags(flags: list[Flag], console: Console) -> None:
    console.print()
    if not flags:
        console.print("gradient health: ✓ no problem found")
        return
    console.print(Text("gradient health:", style="bold"))
    for f in flags:
        console.print(
            Text(f"  {f.line()}", style="bold red" if f.severity == "error" else "yellow")
        )
