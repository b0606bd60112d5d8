"""The checker in the app: type your formula for ∂loss/∂NAME, see the verdict in place.

The box starts empty. The formula is parsed here (refused at once with what is not allowed);
judging retraces moved versions of the network with torch, in a thread worker, once per box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

HELP = N_("names (i1 t1 w5 b3 l3 h1 o1), numbers, + - * / **, exp log sigmoid tanh relu sqrt abs")


class CheckScreen(ModalScreen[None]):
    """Judge the learner's formula for ∂loss/∂``name`` on ``tr``; Esc closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", N_("Close"))]

    def __init__(self, tr: Trace, name: str) -> None:
        super().__init__()
        self.tr, self.node = tr, name
        self.versions: list[Trace] | None = None
        self.text = ""
        """The verdict as plain text (what the result pane shows)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="check-box"):
            yield Label(
                _("Your formula for ∂loss/∂{name}  (Enter checks, Esc closes)").format(
                    name=self.node
                )
            )
            yield Static(_(HELP), id="check-help")
            placeholder = _("e.g. {formula}").format(formula="(o1 - t1)*o1*(1 - o1)*h1")
            yield Input("", placeholder=placeholder, id="check-input")
            with VerticalScroll(id="check-scroll"):
                yield Static("", id="check-result")

    def show(self, text: str) -> None:
        self.text = text
        self.query_one("#check-result", Static).update(Content(text))  # quotes the formula

    @on(Input.Submitted, "#check-input")
    def submit(self, event: Input.Submitted) -> None:
        from bptrace.model.expr import parse

        try:
            parse(event.value, lambda n: n in self.tr)
        except BptraceError as exc:
            self.show(_("✗ not allowed: {error}").format(error=exc))
            return
        self.show(_("checking… (retracing moved versions of the network)"))
        self.judge(event.value)

    @work(thread=True, exclusive=True, group="check")
    def judge(self, text: str) -> None:
        from bptrace.model.check import Judge

        try:
            if self.versions is None:
                from bptrace.tracer.perturb import versions

                self.versions = versions(self.tr)
            verdict = Judge(self.node, self.versions).judge(text)
        except BptraceError as exc:
            self.app.call_from_thread(self.show, f"✗ {exc}")
            return
        self.app.call_from_thread(self.show, "\n".join(verdict.lines()))

    def action_close(self) -> None:
        self.dismiss(None)
