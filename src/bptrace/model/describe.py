"""A step as the lines a teacher writes on the board; shared by ``explain`` and the app."""

from __future__ import annotations

from dataclasses import dataclass

from bptrace.model.fmt import fmt_value
from bptrace.model.steps import Step


@dataclass(frozen=True)
class Line:
    """One line of a written-out step: ``role`` says how to style it."""

    role: str  # "lhs" | "eq" | "check" | "term"
    text: str


def agreement_text(step: Step, rtol: float) -> str:
    """``✓ autograd 0.08216704056423077 agrees (±8.2e-11: 1e-09 of the terms' size)``, or a
    visible ✗ when it does not. The tolerance is this value's own (see model/tolerance.py)."""
    mark = "✓" if step.agrees else "✗"
    verdict = "agrees" if step.agrees else "DISAGREES"
    tol = step.tolerance
    if tol is None:
        return f"{mark} autograd {_full(step.autograd)} {verdict} (relative tolerance {rtol:g})"
    worst = max(tol) if isinstance(tol, list) else tol
    return (
        f"{mark} autograd {_full(step.autograd)} {verdict} "
        f"(within ±{worst:.2g}: {rtol:g} × the sizes summed to make it)"
    )


def _full(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


def step_lines(step: Step, rtol: float = 1e-9) -> list[Line]:
    """The step written out: the equation chain, then (backward) the check against autograd."""
    if step.phase == "backward":
        head = f"∂loss/∂{step.node}"
        eqs = [p for p in (step.chain, step.symbolic) if p and p != head]
        lines = [Line("lhs", f"{head} = {eqs[0]}" if eqs else head)]
        lines += [Line("eq", f"= {e}") for e in eqs[1:]]
        if step.substituted != fmt_value(step.value):
            lines.append(Line("eq", f"= {step.substituted}"))
        lines.append(Line("eq", f"= {fmt_value(step.value)}"))
        if len(step.terms) > 1:
            for term in step.terms:
                lines.append(Line("term", f"{term.label}: {fmt_value(term.value)}"))
        lines.append(Line("check", agreement_text(step, rtol)))
        return lines
    lhs, _, rhs = step.formula.partition(" = " if step.phase == "forward" else " ← ")
    arrow = "=" if step.phase == "forward" else "←"
    lines = [Line("lhs", f"{lhs} {arrow} {rhs}")]
    if step.substituted != rhs:
        lines.append(Line("eq", f"= {step.substituted}"))
    lines.append(Line("eq", f"= {fmt_value(step.value)}"))
    return lines
