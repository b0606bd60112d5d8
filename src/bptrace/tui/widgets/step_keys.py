"""The step keys, for widgets whose own bindings would take them (scrolling panes, the tree).

A focused Tree or scroll pane binds ←/→/Home/End to horizontal scrolling; these bindings hand
the keys to the screen's step actions instead (hidden from the Footer, which shows the screen's).
Horizontal scrolling stays on shift+←/→.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from bptrace.i18n import N_

STEP_KEYS: list[BindingType] = [
    Binding("right", "screen.step(1)", N_("Next"), show=False),
    Binding("left", "screen.step(-1)", N_("Prev"), show=False),
    Binding("home", "screen.go(0)", N_("First"), show=False),
    Binding("end", "screen.go(-1)", N_("Last"), show=False),
    Binding("shift+right", "scroll_right", N_("Scroll right"), show=False),
    Binding("shift+left", "scroll_left", N_("Scroll left"), show=False),
]
