"""Every step of one traced pass (forward, backward, update) as a scrollable list: the trace
of the lesson's network at the epoch picked on the training screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bptrace.i18n import N_, _
from bptrace.model.fmt import fmt, fmt_value
from bptrace.model.trace import Trace
from bptrace.tui.widgets.footer import Footer

PHASE_MARK = {"forward": "▶", "backward": "◀", "update": "↻"}


class EpochTraceScreen(Screen[None]):
    """The steps of ``trace``, one option each: what it computes, its formula and numbers."""

    DEFAULT_CSS = """
    EpochTraceScreen #epoch-title { height: auto; background: $primary-darken-3; color: $text; padding: 0 1; }
    EpochTraceScreen #epoch-steps { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), tooltip=N_("back to the training screen")),
    ]

    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self.trace = trace

    def compose(self) -> ComposeResult:
        tr = self.trace
        title = _("{name}: loss {loss} ({exact})").format(
            name=tr.network.name or _("network"), loss=fmt(tr.loss), exact=repr(tr.loss)
        )
        yield Static(Content(title), id="epoch-title")  # the network's name: no markup
        options = []
        for step in tr.steps:
            text = Text()
            text.append(f"{PHASE_MARK.get(step.phase, ' ')} {step.formula}\n", style="bold")
            text.append(f"    = {step.substituted} = ")
            text.append(fmt_value(step.value), style="green")
            if step.agrees is not None:
                text.append("  ✓ autograd" if step.agrees else "  ✗ autograd", style="dim")
            options.append(Option(text))
        yield OptionList(*options, id="epoch-steps")
        yield Footer()
