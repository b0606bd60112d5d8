"""A one-line, keyboard-driven slider over the epochs of a training run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from bptrace.i18n import N_, _


class EpochScrubber(Widget, can_focus=True):
    """Pick an epoch in ``0..total`` with ←/→ (±1), PgUp/PgDn (±10 %), Home/End."""

    DEFAULT_CSS = """
    EpochScrubber {
        height: 1;
    }
    EpochScrubber:focus {
        background: $boost;
        text-style: bold;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", N_("−1 epoch"), show=False),
        Binding("right", "move(1)", N_("+1 epoch"), show=False),
        Binding("pagedown,down", "move_fraction(0.1)", "+10 %", show=False),
        Binding("pageup,up", "move_fraction(-0.1)", "−10 %", show=False),
        Binding("home", "move_to(0)", N_("First epoch"), show=False),
        Binding("end", "move_to(-1)", N_("Last epoch"), show=False),
    ]

    total: reactive[int] = reactive(0)
    """The last epoch that can be picked (the number of training steps)."""
    epoch: reactive[int] = reactive(0)
    """The picked epoch."""

    @dataclass
    class Changed(Message):
        """The picked epoch changed."""

        scrubber: EpochScrubber
        epoch: int

    def validate_epoch(self, epoch: int) -> int:
        return max(0, min(epoch, self.total))

    def watch_epoch(self, epoch: int) -> None:
        self.post_message(self.Changed(self, epoch))

    def action_move(self, delta: int) -> None:
        self.epoch += delta

    def action_move_fraction(self, fraction: float) -> None:
        step = max(1, round(abs(fraction) * self.total))
        self.epoch += step if fraction > 0 else -step

    def action_move_to(self, epoch: int) -> None:
        self.epoch = self.total if epoch < 0 else epoch

    def render(self) -> Text:
        label = _(" epoch {epoch} / {total} ").format(
            epoch=f"{self.epoch:>{len(str(self.total))}}", total=self.total
        )
        width = max(4, self.size.width - cell_len(label) - 1)
        pos = 0 if self.total == 0 else round(self.epoch / self.total * (width - 1))
        bar = "━" * pos + "●" + "─" * (width - 1 - pos)
        return Text.assemble((label, "bold"), (bar, "cyan"))
