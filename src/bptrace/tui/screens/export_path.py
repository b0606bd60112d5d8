"""A small modal that asks where to write the JSON export, and refuses paths it cannot use."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from bptrace.i18n import N_, _
from bptrace.model.quote import path_text


def path_problem(text: str) -> str | None:
    """Why ``text`` is not a path the export can be written to, or None if it is."""
    if not text.strip():
        return _("type a file name, e.g. trace.json")
    if "\0" in text:  # no system call takes it (Python raises ValueError)
        return _("{path}: a file name cannot hold a NUL character").format(path=path_text(text))
    path = Path(text.strip()).expanduser()
    try:
        if path.is_dir():
            return _("{path} is a directory").format(path=path)
        parent = path.parent
        if not parent.is_dir():
            return _("directory {directory} does not exist").format(directory=parent)
    except OSError as exc:  # a name too long for the file system, a loop of links
        return _("{path}: cannot write ({reason})").format(
            path=path_text(path), reason=exc.strerror
        )
    return None


class ExportPathScreen(ModalScreen[Path | None]):
    """Ask for a file path; returns it, or None on Esc."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, default: str) -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(_("Export the trace as JSON to (Enter to write, Esc to cancel):"))
            yield Input(self.default, id="path")
            yield Label("", id="error")

    @on(Input.Submitted)
    def submit(self, event: Input.Submitted) -> None:
        problem = path_problem(event.value)
        if problem is not None:
            self.query_one("#error", Label).update(Content(f"✗ {problem}"))  # quotes the path
            return
        self.dismiss(Path(event.value.strip()).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
