"""The help screen: every key of the app, and what the marks on screen mean."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from bptrace.i18n import N_, _
from bptrace.tui.reveal import NOT_YET

MARKS = [
    ("▶ / ◀ / ↻", N_("forward step / backward step / parameter update")),
    ("∂ 0.082167", N_("the gradient ∂loss/∂name, shown once backward has computed it")),
    ("∂ " + NOT_YET, N_("backward has not reached this node yet (never a misleading 0)")),
    ("→ 0.358916", N_("the parameter's value after one SGD step")),
    ("◉  ●  ━", N_("the drawing: the step's neuron / the neurons it touches / its edges")),
    ("─►  ◄─", N_("the drawing: values flow forward / gradients flow backward")),
    ("…  ⋮ 3 more", N_("the drawing: layers / neurons off-screen (a large network)")),
    ("ctrl+p", N_("the command palette: every action by name, and the theme (light, dark)")),
    ("✓ / ✗", N_("the product of factors agrees / disagrees with autograd")),
]


class HelpScreen(ModalScreen[None]):
    """A modal listing ``keys`` (key, what it does) and the marks; any of esc/q/? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", N_("Close"), show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(
            box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold underline"
        )
        table.add_column(_("key"))
        table.add_column(_("what it does"))
        for key, what in self.keys:
            table.add_row(Text(key, style="bold"), _(what))
        marks = Table(
            box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold underline"
        )
        marks.add_column(_("mark"))
        marks.add_column(_("meaning"))
        for mark, meaning in MARKS:
            marks.add_row(Text(mark.replace(NOT_YET, _(NOT_YET)), style="bold"), _(meaning))
        with VerticalScroll(id="help-box"):
            yield Static(
                Text(_("bptrace — keys  (esc, q or ? closes)"), style="bold"), id="help-title"
            )
            yield Static(table)
            yield Static("")
            yield Static(marks)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
