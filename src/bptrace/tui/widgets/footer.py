"""Textual's footer with every key's description in the language in use.

Binding descriptions are made when their class is (marked with :func:`bptrace.i18n.N_`); this
footer translates them when it draws them, so one process can show either language.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey, FooterLabel

from bptrace.i18n import _


def tr(text: str | None) -> str:
    """``text`` translated (an empty text stays empty)."""
    return _(text) if text else ""


class Footer(TextualFooter):
    """The footer, translated."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = tr(widget.description)
                widget.tooltip = tr(str(widget.tooltip)) if widget.tooltip else None
            elif isinstance(widget, FooterLabel):
                widget.update(tr(str(widget.content)))
            yield widget
