"""A step as the lines a teacher writes on the board; shared by ``explain``, the app and the
worksheet.

The words around the formulas (``agrees``, ``via l3``, ``sample 1``, ``… (3 more)``) go through
the message catalog here, when a step is shown; the step itself (and so the JSON export) keeps
the English labels.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bptrace.i18n import _
from bptrace.model.fmt import fmt_value

if TYPE_CHECKING:  # numpy: not needed to say a phase's name on the first frame
    from bptrace.model.steps import Step


@dataclass(frozen=True)
class Line:
    """One line of a written-out step: ``role`` says how to style it, ``part`` what it holds.

    ``part`` is ``formula`` (names only), ``numbers`` (the numbers substituted), ``result``
    (the value computed), ``term`` (one path's or sample's share) or ``check`` (autograd).
    """

    role: str  # "lhs" | "eq" | "check" | "term"
    text: str
    part: str = "formula"


def phase_name(phase: str) -> str:
    """``forward`` / ``backward`` / ``update`` in the language in use."""
    names = {"forward": _("forward"), "backward": _("backward"), "update": _("update")}
    return names[phase]


def target_text(step: Step) -> str:
    """What the step computes: ``l1``, ``∂loss/∂w5`` or ``w5 (updated)``, translated."""
    if step.phase == "update":
        return f"{step.node} {_('(updated)')}"
    return step.target


def agreement_text(step: Step, rtol: float) -> str:
    """``✓ autograd 0.08216704056423077 agrees (within ±8.2e-11: 1e-09 × the sizes summed to
    make it)``, or a visible ✗ when it does not. The tolerance is this value's own (see
    model/tolerance.py)."""
    full, tol = _full(step.autograd), step.tolerance
    if tol is None:
        if step.agrees:
            return _("✓ autograd {value} agrees (relative tolerance {rtol})").format(
                value=full, rtol=f"{rtol:g}"
            )
        return _("✗ autograd {value} DISAGREES (relative tolerance {rtol})").format(
            value=full, rtol=f"{rtol:g}"
        )
    tols = tol if isinstance(tol, list) else [tol]
    values = step.autograd if isinstance(step.autograd, list) else [step.autograd]
    finite = [t for t, v in zip(tols, values, strict=True) if math.isfinite(float(v or 0.0))]
    if not finite:  # autograd overflowed (inf) or is nan: no tolerance, only the same value
        if step.agrees:
            return _("✓ autograd {value} agrees (the same value on both sides)").format(value=full)
        return _("✗ autograd {value} DISAGREES (only the same value agrees with it)").format(
            value=full
        )
    worst = f"{max(finite):.2g}"
    if step.agrees:
        text = _("✓ autograd {value} agrees (within ±{tol}: {rtol} × the sizes summed to make it)")
    else:
        text = _(
            "✗ autograd {value} DISAGREES (within ±{tol}: {rtol} × the sizes summed to make it)"
        )
    return text.format(value=full, tol=worst, rtol=f"{rtol:g}")


def _full(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(repr(v) for v in value) + "]"
    return repr(value)


_VIA = re.compile(r"^via (\S+)$")
_SAMPLE = re.compile(r"^sample (\d+)$")
_MORE = re.compile(r"… \((\d+) more\)")
_MORE_SAMPLES = re.compile(r"… \((\d+) more samples\)")


def term_label(label: str) -> str:
    """A term's label (``via l3``, ``sample 2``, or a name) in the language in use."""
    m = _VIA.match(label)
    if m:
        return _("via {name}").format(name=m.group(1))
    m = _SAMPLE.match(label)
    if m:
        return _("sample {n}").format(n=m.group(1))
    return label


def labelled(label: str) -> str:
    """``label:`` with the colon of the language in use (``标签：`` in Chinese)."""
    return _("{label}:").format(label=label)


def more_words(count: int) -> str:
    """``3 more`` (of an elided sum), in the language in use."""
    return _("{count} more").format(count=count)


def localize(text: str) -> str:
    """A formula or substituted text with its elisions (``… (3 more)``) translated."""
    if "…" not in text:
        return text
    text = _MORE_SAMPLES.sub(
        lambda m: "… (" + _("{count} more samples").format(count=m.group(1)) + ")", text
    )
    return _MORE.sub(lambda m: f"… ({more_words(int(m.group(1)))})", text)


def step_lines(step: Step, rtol: float = 1e-9) -> list[Line]:
    """The step written out: the equation chain, then (backward) the check against autograd."""
    if step.phase == "backward":
        head = f"∂loss/∂{step.node}"
        eqs = [localize(p) for p in (step.chain, step.symbolic) if p and p != head]
        lines = [Line("lhs", f"{head} = {eqs[0]}" if eqs else head)]
        lines += [Line("eq", f"= {e}") for e in eqs[1:]]
        if step.substituted != fmt_value(step.value):
            lines.append(Line("eq", f"= {localize(step.substituted)}", "numbers"))
        lines.append(Line("eq", f"= {fmt_value(step.value)}", "result"))
        if len(step.terms) > 1:
            for term in step.terms:
                text = f"{labelled(term_label(term.label))} {fmt_value(term.value)}"
                lines.append(Line("term", text, "term"))
        lines.append(Line("check", agreement_text(step, rtol), "check"))
        return lines
    lhs, _sep, rhs = step.formula.partition(" = " if step.phase == "forward" else " ← ")
    arrow = "=" if step.phase == "forward" else "←"
    lines = [Line("lhs", f"{lhs} {arrow} {localize(rhs)}")]
    if step.substituted != rhs:
        lines.append(Line("eq", f"= {localize(step.substituted)}", "numbers"))
    lines.append(Line("eq", f"= {fmt_value(step.value)}", "result"))
    return lines
