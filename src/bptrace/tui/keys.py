"""Keys as the help screen and the command palette list them: from the Bindings themselves,
so the Footer, ``?`` and ``ctrl+p`` can never disagree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

TREE_KEYS = [
    ("↑ / ↓", "move in the tree (jumps to the step that computes the node)"),
    ("space", "open / close a group in the tree"),
    ("tab", "move focus between panes"),
]


def key_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """``(key, what it does)`` for each Binding: its tooltip, or its description."""
    return [
        (b.key.replace("question_mark", "?").replace(",", " / "), b.tooltip or b.description)
        for b in bindings
        if isinstance(b, Binding) and (b.tooltip or b.description)  # no text: an alias
    ]


def palette_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """One command-palette entry per binding of ``screen`` and of ``app`` (but quit)."""
    for owner in (screen, app):
        for b in owner.BINDINGS:
            if isinstance(b, Binding) and b.action != "quit" and (b.tooltip or b.description):
                yield SystemCommand(
                    b.tooltip or b.description,
                    f"key: {b.key}",
                    lambda a=b.action, o=owner: o.run_action(a),
                )
