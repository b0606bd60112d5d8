"""Module-level steps of a module trace: forward, backward and update, as text and a number.

Forward (module, input shapes → output shape, stats), backward (‖∂loss/∂output‖ and
‖∂loss/∂parameter‖ of each of its parameters), update (``p ← p − lr·g``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from bptrace.i18n import _
from bptrace.model.fmt import fmt
from bptrace.model.module_parts import ModuleStep
from bptrace.model.module_tensors import Shape

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleTrace


def module_steps(tr: ModuleTrace) -> list[ModuleStep]:
    """Forward, backward and update steps of a module trace."""
    steps: list[ModuleStep] = []

    def add(phase: str, node: str, text: str, value: float, norms: Any = ()) -> None:
        steps.append(ModuleStep(len(steps), phase, node, text, value, tuple(norms)))

    for c in tr.calls:
        out = c.output
        ins = ", ".join(_shape(s) for s in c.inputs) or "()"
        outs = ", ".join(_shape(p.value.shape) for p in c.outputs) or "()"
        stats = out.value.stats.short() if out else ""
        add(
            "forward",
            c.name,
            f"{c.name} = {c.type}({ins}) → {outs}   {stats}",
            out.value.stats.norm if out else math.nan,
            (),
        )
    first_call = {m.path: m.calls[0] for m in tr.modules if m.calls}
    for c in reversed(tr.calls):
        out = c.output
        g = out.grad if out else None
        norms = []
        if first_call.get(c.path) == c.name:  # parameter grads are complete after the first call
            norms = [(p.name, p.grad.stats.norm) for p in tr.params_of(c.path) if p.grad]
        norm = fmt(g.stats.norm) if g else _("none (no gradient)")
        parts = [f"‖∂loss/∂{c.name}‖ = {norm}"]
        parts += [f"‖∂loss/∂{n}‖ = {fmt(v)}" for n, v in norms]
        add("backward", c.name, "   ".join(parts), g.stats.norm if g else math.nan, norms)
    lr = tr.model.lr
    if lr is not None:
        for p in tr.params:
            if p.updated is None or p.grad is None or not p.trainable:
                continue
            add(
                "update",
                p.name,
                f"{p.name} ← {p.name} − {fmt(lr)} · ∂loss/∂{p.name}   "
                + _("‖step‖ = {norm}").format(norm=fmt(lr * p.grad.stats.norm))
                + f"   ‖{p.name}‖ = {fmt(p.updated.stats.norm)}",
                p.updated.stats.norm,
                [(p.name, lr * p.grad.stats.norm)],
            )
    return steps


def _shape(s: Shape) -> str:
    return "(" + ", ".join(str(d) for d in s) + ")"
