"""A checkbox and a radio button whose state is a character, not only a colour.

Textual draws ``▐X▌`` (or ``▐●▌``) for both states and tells them apart by colour alone, which
disappears under NO_COLOR and on monochrome projectors. These draw ``[✓]`` / ``[ ]`` and
``(●)`` / ``( )``.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    """``[✓] label`` when on, ``[ ] label`` when off."""

    BUTTON_LEFT, BUTTON_RIGHT = "[", "]"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return Content.assemble(self.BUTTON_LEFT, (self.BUTTON_INNER, "bold"), self.BUTTON_RIGHT)


class MarkedRadioButton(RadioButton):
    """``(●) label`` when chosen, ``( ) label`` otherwise."""

    BUTTON_LEFT, BUTTON_RIGHT = "(", ")"

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "●" if self.value else " "
        return Content.assemble(self.BUTTON_LEFT, (self.BUTTON_INNER, "bold"), self.BUTTON_RIGHT)
