"""Colours that keep every number readable (WCAG AA, 4.5:1) in dark, light and NO_COLOR.

Widgets colour text with the ANSI names (``green``, ``magenta``, ``red``, ...); Textual turns
those into RGB through the app's ANSI themes. The default ones (Monokai, Alabaster) draw
magenta and red at about 3.5:1 on the dark panes and make some colours too pale on light
ones, and under ``NO_COLOR`` Textual greys every colour by its brightness. These themes keep
each ANSI colour far enough from the background in both modes, so the grey it becomes under
NO_COLOR is readable too. Nothing relies on colour alone: gradients carry ``∂``, the current
step ``◉`` and reverse video, "not yet computed" says so in words.
"""

from __future__ import annotations

from typing import Any

from rich.terminal_theme import TerminalTheme
from textual.app import App

_DARK = [
    (60, 60, 60), (255, 128, 128), (128, 222, 96), (240, 212, 96),
    (140, 180, 255), (255, 140, 216), (112, 224, 240), (230, 230, 230),
]  # fmt: skip
_LIGHT = [
    (30, 30, 30), (160, 0, 0), (24, 84, 0), (106, 74, 0),
    (0, 56, 168), (150, 0, 118), (0, 88, 106), (70, 70, 70),
]  # fmt: skip

DARK = TerminalTheme((18, 18, 18), (224, 224, 224), _DARK, _DARK)
"""ANSI colours for dark themes: each at least 4.5:1 on the dark panes and on the cursor."""
LIGHT = TerminalTheme((224, 224, 224), (30, 30, 30), _LIGHT, _LIGHT)
"""ANSI colours for light themes: each at least 4.5:1 on the light panes and on the cursor."""


def use_readable_colours(app: App[Any]) -> None:
    """Give ``app`` the ANSI themes above."""
    app.ansi_theme_dark = DARK
    app.ansi_theme_light = LIGHT
