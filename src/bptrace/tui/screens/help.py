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

MARKS = [
    ("▶ / ◀ / ↻", "forward step / backward step / parameter update"),
    ("∂ 0.082167", "the gradient ∂loss/∂name, shown once backward has computed it"),
    ("∂ not yet computed", "backward has not reached this node yet (never a misleading 0)"),
    ("→ 0.358916", "the parameter's value after one SGD step"),
    ("◉  ●  ━", "the drawing: the step's neuron / the neurons it touches / its edges"),
    ("─►  ◄─", "the drawing: values flow forward / gradients flow backward"),
    ("…  ⋮ 3 more", "the drawing: layers / neurons off-screen (a large network)"),
    ("ctrl+p", "the command palette: every action by name, and the theme (light, dark)"),
    ("✓ / ✗", "the product of factors agrees / disagrees with autograd"),
]


class HelpScreen(ModalScreen[None]):
    """A modal listing ``keys`` (key, what it does) and the marks; any of esc/q/? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=False),
    ]

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table(
            box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold underline"
        )
        table.add_column("key")
        table.add_column("what it does")
        for key, what in self.keys:
            table.add_row(Text(key, style="bold"), what)
        marks = Table(
            box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold underline"
        )
        marks.add_column("mark")
        marks.add_column("meaning")
        for mark, meaning in MARKS:
            marks.add_row(Text(mark, style="bold"), meaning)
        with VerticalScroll(id="help-box"):
            yield Static(
                Text("bptrace — keys  (esc, q or ? closes)", style="bold"), id="help-title"
            )
            yield Static(table)
            yield Static("")
            yield Static(marks)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
