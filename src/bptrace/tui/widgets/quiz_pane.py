"""The quiz's step pane: the question (``∂loss/∂w5 = ?``), the hints so far, the last verdict
and the score; a step already answered is written out in full, as the step pane does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.model.describe import phase_name

if TYPE_CHECKING:
    from bptrace.model.quiz import Quiz

PHASE_MARK = {"forward": "▶", "backward": "◀", "update": "↻"}


class QuizPane(VerticalScroll):
    """Shows one step of a quiz; ``text`` holds what it shows, as plain text."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = _("loading…")

    def compose(self) -> ComposeResult:
        yield Static(Content(self.text), id="quiz-text")

    def show_message(self, message: str) -> None:
        self.text = message
        self.query_one("#quiz-text", Static).update(Content(message))  # an error may quote a file

    def show(self, quiz: Quiz, index: int, feedback: tuple[str, ...]) -> None:
        from bptrace.model.describe import step_lines

        tr = quiz.tr
        step = tr.steps[index]
        head = _("{mark} {phase} step {number} / {total}:  {target}").format(
            mark=PHASE_MARK[step.phase],
            phase=phase_name(step.phase),
            number=index + 1,
            total=len(tr.steps),
            target=step.target,
        )
        lines: list[tuple[str, str]] = [(head, "reverse bold"), ("", "")]
        if quiz.known(index):
            lines += [(ln.text, "") for ln in step_lines(step, tr.steps.rtol)]
            if index < quiz.frontier - 1 or quiz.done:
                lines.append((_("({status})").format(status=quiz.status_text(index)), "dim"))
        else:
            lines.append((f"{step.target} = ?", "bold"))
            lines.append((_("type its value, Enter to answer; ctrl+r reveals it"), "dim"))
        if feedback:
            lines.append(("", ""))
            for line in feedback:
                style = (
                    "bold green"
                    if line.startswith("✓")
                    else "bold red"
                    if line.startswith("✗")
                    else ""
                )
                lines.append((line, style))
        lines += [("", ""), (_("score: {score}").format(score=quiz.score_text()), "italic")]
        if quiz.done:
            lines.append((_("the quiz is complete"), "bold"))
        body: list[RenderableType] = [Text(text, style=style) for text, style in lines]
        self.text = "\n".join(text for text, _ in lines)
        self.query_one("#quiz-text", Static).update(Group(*body))
