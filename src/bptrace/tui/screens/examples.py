"""A modal listing the built-in examples; Enter opens one, Escape goes back."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from bptrace.i18n import N_, _
from bptrace.model.catalog import EXAMPLES


class ExamplesScreen(ModalScreen[str | None]):
    """Choose an example by name (the same list as ``bptrace --list-examples``)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("Open an example (↑/↓, Enter; Esc to go back)"))
            yield OptionList(
                *(Option(f"{name}: {_(text)}", id=name) for name, text in EXAMPLES.items()),
                id="example-list",
            )

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
