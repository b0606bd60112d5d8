"""The header line: the network's name, the phase and ``step k / N``, and the mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace


class InfoBar(Static):
    """One line at the top; ``text`` holds what it shows, as plain text."""

    DEFAULT_CSS = """
    InfoBar { height: 1; background: $primary; color: $text; padding: 0 1; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.text = f"bptrace · {title} · loading…"

    def on_mount(self) -> None:
        self.update(self.text)

    def show_message(self, message: str) -> None:
        self.text = f"bptrace · {self.title} · {message}"
        self.update(self.text)

    def show_step(self, tr: Trace, step: Step, note: str = "") -> None:
        net = tr.network
        parts = [
            "bptrace",
            "" if self.title == net.name else self.title,
            f"{net.name or 'model'} ({'-'.join(map(str, net.sizes))}, {net.loss.name})",
            step.phase,
            f"step {step.index + 1} / {len(tr.steps)}",
        ]
        if note:
            parts.append(note)
        self.text = " · ".join(p for p in parts if p)
        self.update(Text(self.text, style="bold"))
