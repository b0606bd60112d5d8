"""The quiz: every step's value is hidden until the learner types it.

The learner answers the steps in order. A right answer (relative 1e-3, or exactly the digits
the app shows) is marked ✓ and the step revealed; a wrong one ✗ with a hint that grows: the
formula, then the numbers substituted, then the answer (the step is then revealed as missed).
Revealing without answering counts as skipped. Pure: no textual, no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bptrace.i18n import N_, _
from bptrace.model.describe import phase_name
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Scalar, Trace

RTOL = 1e-3
PHASES = ("forward", "backward", "update")
STATUS = {"right": N_("right"), "missed": N_("missed"), "skipped": N_("skipped")}
"""How a step ended, as the pane says it (translated when shown)."""


@dataclass(frozen=True)
class Feedback:
    """What the quiz says to one answer: right or not, and the lines to show."""

    right: bool
    lines: tuple[str, ...]
    revealed: bool


def parse_answer(text: str) -> list[float]:
    """One number, or several separated by commas (one per sample of a batch)."""
    parts = [p.strip().replace("−", "-") for p in text.replace(";", ",").split(",")]
    if not text.strip() or any(not p for p in parts):
        raise BptraceError(
            _("type a number, e.g. 0.3775 (for a batch: one per sample, with commas)")
        )
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BptraceError(_("not a number: {text!r}").format(text=text.strip())) from None
    if not all(math.isfinite(v) for v in values):
        raise BptraceError(_("type a finite number"))
    return values


def close_enough(typed: float, text: str, value: float) -> bool:
    """Relative 1e-3, or the very digits the app shows for ``value``."""
    if abs(typed - value) <= RTOL * abs(value) or (value == 0 and abs(typed) < 1e-12):
        return True
    return text.strip().replace("-", "−") == fmt_value(value)


@dataclass
class Quiz:
    """The state of one quiz over a trace: how far the learner is, and the score."""

    tr: Trace
    frontier: int = 0
    """The first step not yet answered or revealed."""
    status: dict[int, str] = field(default_factory=dict)  # "right" | "missed" | "skipped"
    tries: dict[int, int] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.frontier >= len(self.tr.steps)

    def known(self, index: int) -> bool:
        """Is step ``index``'s value on screen? Only once answered or revealed."""
        return index < self.frontier

    def shown_index(self, index: int) -> int:
        """The step whose results may be shown when step ``index`` is current."""
        return index if self.known(index) else index - 1

    def step(self) -> Step:
        return self.tr.steps[self.frontier]

    def answer(self, text: str) -> Feedback:
        """Judge ``text`` as the value of the current step (BptraceError if not a number)."""
        step = self.step()
        typed = parse_answer(text)
        want = _as_list(step.value)
        if len(typed) != len(want):
            raise BptraceError(
                _("type {count} numbers, one per sample, separated by commas").format(
                    count=len(want)
                )
            )
        texts = [p.strip() for p in text.replace(";", ",").split(",")]
        if all(close_enough(t, s, v) for t, s, v in zip(typed, texts, want, strict=True)):
            self.status[self.frontier] = "right"
            right = _("✓ {target} = {value}: right")
            return self._advance(
                True, [right.format(target=step.target, value=fmt_value(step.value))]
            )
        tries = self.tries[self.frontier] = self.tries.get(self.frontier, 0) + 1
        said = _("✗ {target} is not {text}").format(target=step.target, text=text.strip())
        hint = _("hint: {formula}").format(formula=formula(step))
        if tries == 1:
            return Feedback(False, (said, hint), False)
        if tries == 2:
            return Feedback(False, (said, hint, f"   = {substituted(step)}"), False)
        self.status[self.frontier] = "missed"
        answer = _("the answer: {target} = {value}")
        return self._advance(
            False, [said, answer.format(target=step.target, value=full(step.value))]
        )

    def reveal(self) -> Feedback:
        """Show the current step's value without an answer (counted as skipped)."""
        step = self.step()
        self.status[self.frontier] = "skipped"
        skipped = _("skipped: {target} = {value}")
        return self._advance(False, [skipped.format(target=step.target, value=full(step.value))])

    def _advance(self, right: bool, lines: list[str]) -> Feedback:
        self.frontier += 1
        return Feedback(right, tuple(lines), True)

    def score(self) -> dict[str, tuple[int, int]]:
        """Per phase: (right answers, steps in the phase)."""
        steps = self.tr.steps
        starts = [(p, steps.phase_start(p)) for p in PHASES]
        present = [(p, s) for p, s in starts if s is not None]
        out: dict[str, tuple[int, int]] = {}
        for n, (phase, start) in enumerate(present):
            end = present[n + 1][1] if n + 1 < len(present) else len(steps)
            right = sum(1 for i in range(start, end) if self.status.get(i) == "right")
            out[phase] = (right, end - start)
        return out

    def score_text(self) -> str:
        return " · ".join(f"{phase_name(p)} {r}/{n}" for p, (r, n) in self.score().items())

    def status_text(self, index: int) -> str:
        """How step ``index`` ended, in the language in use (``right``, ``missed``, ...)."""
        status = self.status.get(index, "")
        return _(STATUS[status]) if status in STATUS else status


def _as_list(value: Scalar) -> list[float]:
    return [float(v) for v in value] if isinstance(value, list) else [float(value)]


def full(value: Scalar) -> str:
    return ", ".join(f"{v:.12g}" for v in _as_list(value))


def formula(step: Step) -> str:
    """The first hint: the symbolic formula."""
    return step.formula


def substituted(step: Step) -> str:
    """The second hint: the numbers put in (never the answer itself)."""
    if step.substituted == fmt_value(step.value):
        return _("(each factor's value is in the tree; multiply them)")
    return step.substituted


def question(step: Step) -> str:
    """What the learner is asked: ``l1 = ?`` or ``∂loss/∂w5 = ?``."""
    return f"{step.target} = ?"
