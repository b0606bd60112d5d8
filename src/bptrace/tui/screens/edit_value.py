"""A small modal to type a new value for one number (an input, target, weight, bias or lr).

Text that is not a valid value is refused here with a message; the modal returns the float.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from bptrace.i18n import N_, _
from bptrace.model.edit import parse_number
from bptrace.model.errors import BptraceError


class EditValueScreen(ModalScreen[float | None]):
    """Ask for a new value of ``name``; ``check`` may refuse a number (raise BptraceError)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(
        self, name: str, current: str, check: Callable[[float], None] | None = None
    ) -> None:
        super().__init__()
        self.value_name = name
        self.current = current
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(
                _("New value for {name} (now {value}); Enter to retrace, Esc to cancel").format(
                    name=self.value_name, value=self.current
                )
            )
            yield Input(self.current, id="value")
            yield Label("", id="error")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        try:
            value = parse_number(event.value)
            if self.check is not None:
                self.check(value)
        except BptraceError as exc:
            # plain text: the message quotes what was typed, which may look like markup ("[/]")
            self.query_one("#error", Label).update(Content(f"✗ {exc}"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
