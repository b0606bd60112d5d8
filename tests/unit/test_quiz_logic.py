"""The quiz's pure parts: judging an answer, the growing hint, the score, and the hiding."""

from __future__ import annotations

import pytest

from bptrace.model.errors import BptraceError
from bptrace.model.quiz import Quiz, close_enough
from bptrace.model.trace import Trace
from bptrace.tui.quiz_reveal import NEVER, hide_step
from bptrace.tui.reveal import label, reveals


def test_close_enough() -> None:
    assert close_enough(0.3776, "0.3776", 0.3775)  # relative 2.6e-4
    assert not close_enough(0.378, "0.378", 0.3775)  # relative 1.3e-3
    assert close_enough(3.51019e-05, "3.51019e-05", 3.510187782978859e-05)  # the digits shown
    assert not close_enough(3.5e-05, "3.5e-05", 3.510187782978859e-05)  # relative 2.9e-3
    assert close_enough(-0.21707, "−0.21707", -0.21707153467853746)


def test_hint_grows_then_the_answer(classic_trace: Trace) -> None:
    quiz = Quiz(classic_trace)
    first = quiz.answer("1")
    assert not first.right and not first.revealed
    assert first.lines[1] == "hint: l1 = w1·i1 + w2·i2 + b1"
    second = quiz.answer("2")
    assert second.lines[2] == "   = 0.15 × 0.05 + 0.20 × 0.10 + 0.35"
    third = quiz.answer("3")
    assert third.revealed and third.lines[1] == "the answer: l1 = 0.3775"
    assert quiz.frontier == 1 and quiz.status[0] == "missed"
    assert quiz.answer("0.3925").right
    assert quiz.score()["forward"] == (1, 9)
    with pytest.raises(BptraceError):
        quiz.answer("abc")


def test_hide_step_holds_back_only_the_current_step(classic_trace: Trace) -> None:
    rev = reveals(classic_trace)
    hidden = hide_step(rev, 13)  # ∂loss/∂w5
    assert hidden["w5"].grad_at == NEVER and hidden["w5"].value_at == rev["w5"].value_at
    assert label(classic_trace, hidden["w5"], 13).grad == "not yet computed"
    assert label(classic_trace, rev["w5"], 13).grad == "0.082167"
    assert hidden["h1"] == rev["h1"]
