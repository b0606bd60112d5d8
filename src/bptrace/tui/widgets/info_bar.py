"""The header line: the network's name, the phase and ``step k / N``, the biases, the mode.

The line always fits: when the terminal is narrow, the least useful parts go first (the app's
name, then the sizes and loss), never the phase, the step or the biases setting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.model.describe import phase_name

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace


def biases_setting(tr: Trace) -> str:
    """``biases trained`` or ``biases frozen`` (Mazur's setting), from the trace's biases."""
    flags = [tr[tr.namer.bias(k, 0)].trainable for k in range(1, tr.network.depth + 1)
             if tr.network.has_bias[k - 1]]  # fmt: skip
    if not flags:
        return _("no biases")
    if all(f is False for f in flags):
        return _("biases frozen")
    return _("biases trained") if all(f is not False for f in flags) else _("some biases frozen")


def fit(parts: list[tuple[int, str]], width: int) -> str:
    """Join ``(priority, text)`` parts with `` · ``; drop the lowest priority ones until the
    line is at most ``width`` long (parts keep their order)."""
    keep = [p for p in parts if p[1]]
    while len(keep) > 1 and cell_len(" " + " · ".join(t for _p, t in keep)) > width:
        keep.remove(min(keep, key=lambda p: p[0]))
    return " " + " · ".join(t for _p, t in keep)


class InfoBar(Static):
    """One line at the top; ``text`` holds what it shows, as plain text."""

    DEFAULT_CSS = """
    InfoBar { height: 1; background: $primary-darken-3; color: $text; text-style: bold; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.parts: list[tuple[int, str]] = [(0, "bptrace"), (5, title), (9, _("loading…"))]
        self.text = fit(self.parts, 10_000)
        self._shown: str | None = None  # the line last handed to update()

    def on_mount(self) -> None:
        self._update()

    def on_resize(self) -> None:
        self._update()

    def _update(self) -> None:
        self.text = text = fit(self.parts, self.size.width or 10_000)
        if text == self._shown:
            return  # the same line: nothing to draw again
        self._shown = text
        self.update(Text(text), layout=False)  # one line, always: its size never changes

    def show_message(self, message: str) -> None:
        self.parts = [(0, "bptrace"), (5, self.title), (9, message)]
        self._update()

    def show_step(self, tr: Trace, step: Step, note: str = "") -> None:
        net = tr.network
        sizes = "-".join(map(str, net.sizes))
        self.parts = [
            (0, "bptrace"),
            (3, "" if self.title == net.name else self.title),
            (4, f"{net.name or _('model')}"),
            (1, f"({sizes}, {net.loss.name})"),
            (9, phase_name(step.phase)),
            (9, _("step {number} / {total}").format(number=step.index + 1, total=len(tr.steps))),
            (6, biases_setting(tr)),
            (7, note),
        ]
        self._update()
