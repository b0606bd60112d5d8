"""The module screen's step keys, for its widgets whose own bindings would take them.

A focused Tree, OptionList or scroll pane binds ←/→/Home/End to scrolling or to its first and
last rows; these bindings hand the keys to the screen's step actions instead (hidden from the
Footer, which shows the screen's own). Horizontal scrolling stays on shift+←/→.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

SCREEN_STEP_KEYS: list[BindingType] = [
    Binding("right", "screen.step(1)", "Next", show=False),
    Binding("left", "screen.step(-1)", "Prev", show=False),
    Binding("home", "screen.go(0)", "First", show=False),
    Binding("end", "screen.go(-1)", "Last", show=False),
    Binding("shift+right", "scroll_right", "Scroll right", show=False),
    Binding("shift+left", "scroll_left", "Scroll left", show=False),
]
