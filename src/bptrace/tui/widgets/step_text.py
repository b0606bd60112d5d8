"""The text of the step pane, rendered once per step and width and kept.

A :class:`textual.widgets.Static` given a Rich group (lines and the factor table) renders it
twice per layout pass, once to measure its height and once to draw it, and again on every
frame that touches the pane. This widget renders a body into strips once, keeps the strips of
the last :data:`KEPT` bodies and widths (stepping back and forth renders nothing twice), and
asks for a layout pass only when the new body has a different number of lines.
"""

from __future__ import annotations

from rich.console import RenderableType
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from bptrace.tui.widgets.leaf_size import LeafSize

KEPT = 64  # rendered bodies (per width) kept


class StepText(LeafSize, Widget):
    """A body (any Rich renderable) known by ``key``: equal keys render the same."""

    DEFAULT_CSS = """
    StepText { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._body: RenderableType = ""
        self._key: object = None
        self._strips: dict[tuple[object, int], list[Strip]] = {}
        self.rendered = 0
        """How many times a body was rendered (a key seen before at this width is not)."""

    def show(self, body: RenderableType, key: object) -> None:
        """Show ``body``; ``key`` tells it apart from other bodies (equal key, equal body)."""
        width = self.content_size.width
        was = len(self.strips(width)) if width else None
        self._body, self._key = body, key
        same = was is not None and len(self.strips(width)) == was
        self.refresh(layout=not same)

    def prepare(self, body: RenderableType, key: object) -> None:
        """Render ``body`` at the current width ahead of showing it."""
        if self.content_size.width and self.text_selection is None:
            self._render_at(body, key, self.content_size.width)

    def strips(self, width: int) -> list[Strip]:
        """The body rendered ``width`` cells wide (kept unless text is being selected)."""
        return self._render_at(self._body, self._key, width)

    def _render_at(self, body: RenderableType, key: object, width: int) -> list[Strip]:
        cached = (key, width)
        if cached in self._strips and self.text_selection is None:
            return self._strips[cached]
        self.rendered += 1
        visual = visualize(self, body, markup=False)
        strips = Visual.to_strips(self, visual, width, None, self.visual_style)
        if self.text_selection is None:
            self._strips[cached] = strips
            if len(self._strips) > KEPT:
                del self._strips[next(iter(self._strips))]
        return strips

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.strips(width)) if width else 0

    def render_line(self, y: int) -> Strip:
        strips = self.strips(self.content_size.width)
        if y < len(strips):
            return strips[y]
        return Strip.blank(self.content_size.width, self.visual_style.rich_style)
