"""Keys as the help screen and the command palette list them: from the Bindings themselves,
so the Footer, ``?`` and ``ctrl+p`` can never disagree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from bptrace.i18n import N_, _

TREE_KEYS = [
    ("↑ / ↓", N_("move in the tree (jumps to the step that computes the node)")),
    ("space", N_("open / close a group in the tree")),
    ("tab", N_("move focus between panes")),
]

TEXTUAL_TEXTS = (  # Textual's own command-palette entries and footer label, for the catalog
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
    N_("palette"),
)


def translated(commands: Iterable[SystemCommand]) -> Iterable[SystemCommand]:
    """Textual's own palette entries in the language in use (the action is unchanged)."""
    for c in commands:
        yield SystemCommand(_(c.title), _(c.help), c.callback, c.discover)


def key_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """``(key, what it does)`` for each Binding: its tooltip, or its description."""
    return [
        (b.key.replace("question_mark", "?").replace(",", " / "), _(b.tooltip or b.description))
        for b in bindings
        if isinstance(b, Binding) and (b.tooltip or b.description)  # no text: an alias
    ]


def palette_commands(app: App[Any], screen: Screen[Any]) -> Iterable[SystemCommand]:
    """One command-palette entry per binding of ``screen`` and of ``app`` (but quit)."""
    for owner in (screen, app):
        for b in owner.BINDINGS:
            if isinstance(b, Binding) and b.action != "quit" and (b.tooltip or b.description):
                yield SystemCommand(
                    _(b.tooltip or b.description),
                    _("key: {key}").format(key=b.key),
                    lambda a=b.action, o=owner: o.run_action(a),
                )
