"""The "gradient health" pane: every flag of the trace, one line each, most severe first.

Each line starts with its mark (✗ NaN/inf, ▲ exploding, ▼ vanishing, ○ dead ReLU), so the list
reads the same without colour. Enter (or a click) on a line posts :class:`HealthPane.FlagChosen`;
the screen moves the tree to the flag's node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from bptrace.i18n import N_, _, ngettext
from bptrace.tui.module_items import MARK_STYLES
from bptrace.tui.widgets.step_keys import STEP_KEYS

if TYPE_CHECKING:
    from bptrace.model.health import Flag

HEALTHY = N_("✓ no gradient health problems found")  # translated where shown


def short(flag: Flag) -> str:
    """One short line for a flag: ``▼ 0.weight  vanishing 2.55e-10`` (the full message is in
    the detail pane)."""
    texts = {
        "vanishing": (_("vanishing {ratio}"), f"{flag.value:.3g}"),
        "exploding": (_("exploding {ratio}"), f"{flag.value:.3g}"),
        "dead": (_("dead ReLU {ratio}%"), f"{100 * flag.value:.0f}"),
        "nonfinite": (_("NaN/inf ×{ratio}"), f"{int(flag.value)}"),
    }
    text, ratio = texts.get(flag.kind, (flag.message, ""))
    what = text.format(ratio=ratio) if ratio else text
    return f"{flag.mark} {flag.node}  {what}"


class HealthPane(OptionList):
    """The list of health flags; ``lines`` holds them as plain text."""

    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    @dataclass
    class FlagChosen(Message):
        """The person chose the flag ``flag`` (Enter or click)."""

        flag: Flag

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.flags: list[Flag] = []
        self.lines: list[str] = []

    def load(self, flags: list[Flag]) -> None:
        """Show ``flags`` (or that there are none)."""
        self.flags = list(flags)
        self.clear_options()
        self.lines = [short(f) for f in flags] or [_(HEALTHY)]
        if not flags:
            self.add_option(Option(_(HEALTHY), disabled=True))
        for f, line in zip(flags, self.lines, strict=False):
            text = Text(line)
            text.stylize(MARK_STYLES[f.mark], 0, 1)
            self.add_option(Option(text))
        if flags:
            self.highlighted = 0
        count = len(flags)
        summary = ngettext("{count} flag", "{count} flags", count).format(count=count)
        self.border_title = (
            _("gradient health: {summary}").format(summary=summary)
            if flags
            else _("gradient health: all clear")
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.flags):
            self.post_message(self.FlagChosen(self.flags[event.option_index]))
