"""``bptrace quiz``: the main screen with every step's value hidden until it is answered.

The tree and the drawing show step k's results only once the learner has answered step k
(:func:`bptrace.tui.quiz_reveal.hide_step` over :mod:`bptrace.tui.reveal`); the checker,
the matrix view and editing, which would show values, are off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.widgets.info_bar import InfoBar
from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree
from bptrace.tui.widgets.quiz_pane import QuizPane

if TYPE_CHECKING:
    from bptrace.model.quiz import Quiz
    from bptrace.model.trace import Trace

QUIZ_READ_ONLY = N_("the quiz shows the network as it is: quit and run bptrace to edit it")
OFF = {"check_formula", "matrix", "edit", "choices", "export", "step", "go", "phase"}


class QuizScreen(TraceScreen):
    """Answer every step in order; look back at answered ones with ↑/↓."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "reveal", N_("Reveal"), tooltip=N_("show this step's value (skip it)")),
        Binding(
            "up", "review(-1)", N_("Back"), tooltip=N_("look at the previous step"), key_display="↑"
        ),
        Binding(
            "down",
            "review(1)",
            N_("On"),
            tooltip=N_("the next step, up to the question"),
            key_display="↓",
        ),
    ]

    def __init__(self, title: str, spec: object = None, read_only: str | None = None) -> None:
        super().__init__(title, None, _(QUIZ_READ_ONLY))
        self.quiz: Quiz | None = None
        self.feedback: tuple[str, ...] = ()

    def compose_step(self) -> ComposeResult:
        yield QuizPane(id="quiz-pane")
        yield Input("", placeholder=_("your answer, then Enter"), id="quiz-input")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action not in OFF and super().check_action(action, parameters)

    def show_loading(self, text: str) -> None:
        self.query_one(QuizPane).show_message(text)

    def reset(self, title: str, spec: object, read_only: str | None) -> None:
        self.quiz = None
        self.query_one(QuizPane).show_message(_("loading…"))

    def validate_index(self, index: int) -> int:
        """Never past the question: later values are not known yet."""
        return index if self.quiz is None else max(0, min(index, self.quiz.frontier))

    def watch_trace(self, tr: Trace | None) -> None:
        from bptrace.model.quiz import Quiz

        if tr is None:
            return
        self.quiz = Quiz(tr)
        self.feedback = ()
        self.set_reactive(TraceScreen.index, 0)
        self.query_one(NetworkTree).load(tr, self.quiz.shown_index(0))
        self.show()
        self.query_one(Input).focus()

    def show(self) -> None:
        from bptrace.tui.quiz_reveal import hide_step

        tr, tree, quiz = self.trace, self.query_one(NetworkTree), self.quiz
        if tr is None or quiz is None or tree.trace is not tr:
            return
        index = min(self.index, len(tr.steps) - 1)
        step = tr.steps[index]
        note = _("quiz: {score}").format(score=quiz.score_text())
        self.query_one(InfoBar).show_step(tr, step, note)
        tree.show_step(quiz.shown_index(index), step.node)
        reveals = tree.reveals if quiz.known(index) else hide_step(tree.reveals, index)
        self.query_one(NetworkDrawing).show_step(tr, step, reveals)
        self.query_one(QuizPane).show(
            quiz, index, self.feedback if index >= quiz.frontier - 1 else ()
        )

    def move_to(self, index: int) -> None:
        if index == self.index:
            self.show()
        else:
            self.index = index

    @on(Input.Submitted, "#quiz-input")
    def submit(self, event: Input.Submitted) -> None:
        quiz = self.quiz
        if quiz is None or quiz.done:
            return
        try:
            result = quiz.answer(event.value)
        except BptraceError as exc:
            self.feedback = (f"✗ {exc}",)
            self.show()
            return
        event.input.value = ""
        self.feedback = result.lines
        self.after_answer()

    def action_reveal(self) -> None:
        quiz = self.quiz
        if quiz is None or quiz.done:
            return
        self.feedback = quiz.reveal().lines
        self.after_answer()

    def after_answer(self) -> None:
        assert self.quiz is not None and self.trace is not None
        self.move_to(min(self.quiz.frontier, len(self.trace.steps) - 1))
        self.show()

    def action_review(self, delta: int) -> None:
        self.move_to(self.validate_index(self.index + delta))
