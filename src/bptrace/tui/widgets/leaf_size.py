"""Widgets whose size change is drawn in the frame of the layout pass that made it.

After a layout pass Textual stores each widget's new virtual size through a reactive that
asks for another layout pass (to arrange the widget's children at the new size), and it
repaints the widget's scroll bars with ``refresh``, which waits for the next frame. A key
that changed the step text's length thus cost a second layout pass and one or two more
frames (each up to 1/60 s later). :class:`LeafSize` is for a widget with no children to
arrange again (the step text, the drawing) or whose children the pass has just arranged (the
step pane); :class:`ScrollbarsNow` puts the scroll bars' repaint into the pass's own frame.
A scroll bar that appears or goes still asks for its own pass (the content width changes).
Both are mixins, put before the widget's Textual base class.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Size

if TYPE_CHECKING:  # a mixin: Textual takes a widget's CSS from its first DOM base class only
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object


class ScrollbarsNow(_Base):
    """Its scroll bars, repainted after a layout pass, are in that pass's frame."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        bars = [self.vertical_scrollbar] if self.show_vertical_scrollbar else []
        bars += [self.horizontal_scrollbar] if self.show_horizontal_scrollbar else []
        if bars and self.is_attached:  # their regions join this frame's (compositor map)
            self.screen._compositor.update_widgets(set(bars))
        return changed


class LeafSize(ScrollbarsNow):
    """Keeps the size a layout pass gave without asking for another pass."""

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        return super()._size_updated(size, virtual_size, container_size, layout=False)
