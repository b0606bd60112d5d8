"""The network drawing on the main screen: :func:`bptrace.tui.diagram.draw` at the pane's size.

The diagram is laid out again whenever the pane's size changes, so it always fits: numbers
are shortened by significant digits (and the legend says so), and a network too large for
the pane shows the part around the current step. The drawing never scrolls sideways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from bptrace.i18n import _
from bptrace.tui.diagram import Memo, Picture, draw, highlights
from bptrace.tui.widgets.leaf_size import LeafSize

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace
    from bptrace.tui.reveal import Reveal

__all__ = ["NetworkDrawing", "highlights"]

CACHED = 64  # pictures (and highlights) of this many recent steps and sizes are kept


class NetworkDrawing(LeafSize, Widget):
    """The drawing of the current step; ``text`` holds what it shows, as plain text."""

    DEFAULT_CSS = """
    NetworkDrawing { height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = _("loading…")
        self.hot: tuple[set[str], set[str]] = (set(), set())
        self.picture: Picture | None = None
        self._what: tuple[Trace, Step, dict[str, Reveal]] | None = None
        self._cache: dict[tuple[int, int, int], Picture] = {}  # (step, width, lines) → drawn
        self._strips: dict[int, tuple[Picture, list[Strip]]] = {}  # id(picture) → rendered
        self._hot: dict[int, tuple[set[str], set[str]]] = {}  # step → highlights
        self._of: tuple[object, object] | None = None  # the trace and reveals cached for
        self._labels: Memo = {}
        self._tall: tuple[tuple[int, int], int] = ((0, 0), 0)  # (width, budget) → most lines
        self.rendered = 0
        """How many pictures were rendered into lines (a picture is rendered once)."""

    def show_step(self, tr: Trace, step: Step, reveals: dict[str, Reveal]) -> None:
        """Draw ``tr`` with ``step`` current. The pictures of the steps shown lately are kept
        (stepping back and forth draws nothing twice), and the pane only grows while one
        trace is shown at one size: a shorter picture leaves blank lines below it, so that
        the step pane above keeps its height and the key costs no layout pass (two passes,
        in fact: the step pane's scroll bar resized makes a second one)."""
        if self._of is None or self._of[0] is not tr or self._of[1] is not reveals:
            self._cache, self._hot, self._of, self._strips = {}, {}, (tr, reveals), {}
            self._labels, self._tall = {}, ((0, 0), 0)
        self._what = (tr, step, reveals)
        if step.index not in self._hot:
            self._hot[step.index] = highlights(tr, step)
            if len(self._hot) > CACHED:
                del self._hot[next(iter(self._hot))]
        self.hot = self._hot[step.index]
        self.refresh(layout=self._height_changed())

    def refit(self) -> None:
        """The panes were laid out anew (the terminal resized): the budget, a share of the
        pane's new height, is known only now, and the picture drawn for it may need another
        height than the pass gave (it had been cut at the bottom)."""
        if self.content_size.width and self._height_changed():
            self.refresh(layout=True)

    def _height_changed(self) -> bool:
        """The picture now needs another height than the pane was given."""
        width = self.content_size.width
        return self.get_content_height(Size(), Size(), width) != self.size.height

    def budget(self) -> int:
        """The most lines the drawing may take: 60% of the pane it shares with the step."""
        parent = self.parent
        tall = parent.size.height if isinstance(parent, Widget) else self.app.size.height
        return max(6, tall * 3 // 5)

    def picture_at(self, width: int) -> Picture | None:
        if self._what is None or width <= 0:
            return None
        return self._picture(self._what[1], width)

    def _picture(self, step: Step, width: int) -> Picture:
        assert self._what is not None
        key = (step.index, width, self.budget())
        if key not in self._cache:
            tr, _step, reveals = self._what
            self._cache[key] = draw(tr, step, reveals, width, key[2], memo=self._labels)
            if len(self._cache) > CACHED:
                self._strips.pop(id(self._cache.pop(next(iter(self._cache)))), None)
        return self._cache[key]

    def prepare(self, tr: Trace, step: Step) -> None:
        """Draw ``step`` of the trace on screen ahead (idle time): showing it only paints."""
        width = self.content_size.width
        if self._what is None or self._what[0] is not tr or width <= 0:
            return
        picture = self._picture(step, width)
        if id(picture) not in self._strips:
            self._strips[id(picture)] = (picture, self._render_strips(picture.text))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        picture = self.picture_at(width)
        if picture is None:
            return 1
        size, tall = self._tall
        if size != (width, self.budget()):  # another size: the pictures are drawn anew
            size, tall = (width, self.budget()), 0
        self._tall = size, max(tall, _lines(picture))
        return self._tall[1]

    def render_line(self, y: int) -> Strip:
        """Line ``y`` of the picture at the pane's width, rendered once per picture."""
        width = self.content_size.width
        picture = self.picture_at(width)
        if picture is None or self.text_selection is not None:
            strips = self._render_strips(Text(self.text) if picture is None else picture.text)
        else:
            self.picture, self.text = picture, picture.plain
            kept = self._strips.get(id(picture))
            if kept is None or kept[0] is not picture:
                kept = self._strips[id(picture)] = (picture, self._render_strips(picture.text))
            strips = kept[1]  # the picture is kept with them: its id stays its own
        return strips[y] if y < len(strips) else Strip.blank(width, self.visual_style.rich_style)

    def _render_strips(self, text: Text) -> list[Strip]:
        self.rendered += 1
        visual = visualize(self, text)
        return Visual.to_strips(self, visual, self.content_size.width, None, self.visual_style)


def _lines(picture: Picture) -> int:
    return len(picture.plain.splitlines())
