"""A worksheet of a traced MLP: the network, then every step written out as the app's step pane
does (chain of named factors, formulas, substituted numbers, result), in LaTeX math.

:func:`build_sheet` makes a :class:`Sheet`, a plain document that the Markdown and LaTeX
writers (:mod:`bptrace.model.worksheet_md`, :mod:`bptrace.model.worksheet_tex`) lay out. The
lines come from :func:`bptrace.model.describe.step_lines`, the same as ``explain`` and the app.
In the student version (``blanks``) every result, every substituted number and every factor's
value is :data:`~bptrace.model.texmath.BLANK`; the formulas, and the constants in them, stay.
"""

from __future__ import annotations

from bptrace.i18n import _
from bptrace.model.describe import (
    Line,
    labelled,
    localize,
    more_words,
    phase_name,
    step_lines,
    term_label,
)
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value
from bptrace.model.steps import Step
from bptrace.model.texmath import BLANK, numbers_in, to_latex
from bptrace.model.trace import Trace
from bptrace.model.worksheet_doc import (
    Equation,
    Para,
    Seg,
    Sheet,
    SheetStep,
    Table,
    math,
    text,
)
from bptrace.model.worksheet_given import given_paragraphs

MAX_STEPS = 300
"""More steps than this make no handout: the worksheet asks for ``--steps`` / ``--layer``."""


def _latex(text_: str, *, blanks: bool = False, constants: frozenset[str] = frozenset()) -> str:
    return to_latex(text_, blanks=blanks, constants=constants, more=more_words)


def _value_math(value: object, blanks: bool) -> str:
    if blanks:
        return BLANK
    assert isinstance(value, (int, float, list))
    return _latex(fmt_value(value))


def _samples(substituted: str) -> list[str] | None:
    """The per-sample parts of a batch's substituted text (``[1] a; [2] b``), or None."""
    if not substituted.startswith("[1] "):
        return None
    parts = substituted.split("; ")
    out = []
    for n, part in enumerate(parts, start=1):
        prefix = f"[{n}] "
        if part.startswith(prefix):
            out.append(part[len(prefix) :])
        elif not part.startswith("…"):
            return None
    return out


def _heading(step: Step, total: int) -> Para:
    number = _("Step {number} of {total} ({phase}):").format(
        number=step.index + 1, total=total, phase=phase_name(step.phase)
    )
    head: list[Seg] = [text(number + " ")]
    if step.phase == "backward":
        head.append(math(_latex(f"∂loss/∂{step.node}")))
    else:
        head.append(math(_latex(step.node)))
        if step.phase == "update":
            head.append(text(" " + _("(updated)")))
    return tuple(head)


def _equations(step: Step, lines: list[Line], blanks: bool) -> list[Equation]:
    keep = frozenset(numbers_in(step.formula))
    relation = "\\leftarrow" if step.phase == "update" else "="
    target = _latex(step.target if step.phase == "backward" else step.node)
    out: list[Equation] = []
    samples = _samples(step.substituted)
    values = step.value if isinstance(step.value, list) else None
    for line in lines:
        body = line.text[2:] if line.text.startswith("= ") else line.text
        if line.role == "lhs":
            sep = " ← " if step.phase == "update" else " = "
            lhs, _sep, rhs = body.partition(sep)
            out.append(Equation(_latex(rhs), _latex(lhs), relation))
        elif line.part == "numbers" and samples is not None and values is not None:
            for n, part in enumerate(samples):
                label = labelled(_("sample {n}").format(n=n + 1))
                out.append(
                    Equation(_latex(part, blanks=blanks, constants=keep), target, "=", label)
                )
                out.append(Equation(_value_math(values[n], blanks)))
            for n in range(len(samples), len(values)):
                label = labelled(_("sample {n}").format(n=n + 1))
                out.append(Equation(_value_math(values[n], blanks), target, "=", label))
        elif line.part == "result" and samples is not None and values is not None:
            continue  # written per sample above
        elif line.part == "numbers":
            out.append(Equation(_latex(body, blanks=blanks, constants=keep)))
        elif line.part == "result":
            out.append(Equation(_value_math(step.value, blanks)))
        elif line.role == "eq":
            out.append(Equation(_latex(body)))
    return out


def _table(step: Step, blanks: bool) -> Table | None:
    if step.phase != "backward" or not step.factors:
        return None
    several = len(step.terms) > 1
    header: tuple[str, ...] = (_("factor"), _("formula"), _("value"))
    if several:
        header = (_("path"), *header)
    rows = []
    for f in step.factors:
        row: tuple[Para, ...] = (
            (math(_latex(f.name)),),
            (math(_latex(localize(f.formula))),),
            (math(_value_math(f.value, blanks)),),
        )
        if several:
            label = term_label(step.terms[f.term].label)
            row = ((text(label),), *row)
        rows.append(row)
    return Table(header, tuple(rows))


def _notes(step: Step, lines: list[Line], blanks: bool, rtol: float) -> list[Para]:
    notes: list[Para] = []
    if step.phase == "backward" and len(step.terms) > 1:
        for term in step.terms:
            notes.append(
                (
                    text(labelled(term_label(term.label)) + " "),
                    math(_value_math(term.value, blanks)),
                )
            )
    if step.phase == "backward" and not blanks and step.autograd is not None:
        full = (
            "[" + ", ".join(repr(v) for v in step.autograd) + "]"
            if isinstance(step.autograd, list)
            else repr(step.autograd)
        )
        if step.agrees:
            words = _("autograd gives {value}: it agrees (relative tolerance {rtol})")
            mark = "\\checkmark"
        else:
            words = _("autograd gives {value}: it DISAGREES (relative tolerance {rtol})")
            mark = "\\times"
        notes.append((math(mark), text(" " + words.format(value=full, rtol=f"{rtol:g}"))))
    elif step.phase != "backward" and not blanks:
        full = (
            "[" + ", ".join(repr(v) for v in step.value) + "]"
            if isinstance(step.value, list)
            else repr(step.value)
        )
        notes.append((text(_("full precision: {value}").format(value=full)),))
    return notes


def sheet_step(step: Step, total: int, rtol: float, blanks: bool) -> SheetStep:
    """One step of the worksheet (the student's version with ``blanks``)."""
    lines = step_lines(step, rtol)
    return SheetStep(
        step.index + 1,
        step.phase,
        _heading(step, total),
        tuple(_equations(step, lines, blanks)),
        _table(step, blanks),
        tuple(_notes(step, lines, blanks, rtol)),
    )


def build_sheet(
    tr: Trace, indices: list[int], *, blanks: bool, answer_key: bool = False, language: str = "en"
) -> Sheet:
    """The worksheet of the steps ``indices`` (see :mod:`bptrace.model.selection`)."""
    if not indices:
        raise BptraceError(_("the selection holds no step: nothing to write"))
    if len(indices) > MAX_STEPS:
        raise BptraceError(
            _(
                "the worksheet would have {count} steps (at most {limit}): choose some with "
                "--steps (e.g. --steps backward or --steps w5,h1) or --layer K"
            ).format(count=len(indices), limit=MAX_STEPS)
        )
    steps, total = tr.steps, len(tr.steps)
    sections: dict[str, list[SheetStep]] = {}
    for index in indices:
        step = steps[index]
        sections.setdefault(step.phase, []).append(sheet_step(step, total, steps.rtol, blanks))
    titles = {
        "forward": _("Forward pass"),
        "backward": _("Backward pass (backpropagation, the chain rule)"),
        "update": _("Update: one step of gradient descent"),
    }
    name = tr.network.name or _("model")
    if answer_key:
        title = _("Answer key: {name}").format(name=name)
    else:
        title = _("Backpropagation worksheet: {name}").format(name=name)
    intro = list(given_paragraphs(tr))
    if len(indices) < total:
        shown = _("{count} of the {total} steps, numbered as in the app.").format(
            count=len(indices), total=total
        )
        intro.append((text(shown),))
    if blanks:
        intro.append(
            (
                text(
                    _(
                        "Fill in every blank: substitute the numbers into each formula, then "
                        "compute the result. Round to 6 significant digits."
                    )
                ),
            )
        )
    return Sheet(
        title,
        tuple(intro),
        tuple(
            (titles[p], tuple(sections[p]))
            for p in ("forward", "backward", "update")
            if p in sections
        ),
        blanks,
        language,
    )
