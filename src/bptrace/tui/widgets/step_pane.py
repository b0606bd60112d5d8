"""The current step written out the way a teacher writes it on the board.

The lines come from :func:`bptrace.model.describe.step_lines` (shared with ``bptrace
explain``); this widget only styles them and adds the table of factors of a backward step.
Every mark is a character (▶ ◀ ↻ ✓ ✗), so the pane reads the same without colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll

from bptrace.i18n import _
from bptrace.model.describe import phase_name, target_text, term_label
from bptrace.model.fmt import fmt_value
from bptrace.tui.widgets.leaf_size import LeafSize
from bptrace.tui.widgets.step_keys import STEP_KEYS
from bptrace.tui.widgets.step_text import StepText

if TYPE_CHECKING:
    from bptrace.model.steps import Step

PHASE_MARK = {"forward": "▶", "backward": "◀", "update": "↻"}
TERMS_SHOWN = 8  # the factor table lists the products of this many terms (paths or samples)
STYLES = {"lhs": "bold", "eq": "", "term": "italic", "check": "bold green"}


class StepPane(LeafSize, VerticalScroll):
    """A scrolling pane with the current step; ``text`` holds what it shows, as plain text."""

    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = _("loading…")

    def compose(self) -> ComposeResult:
        yield StepText(id="step-text")

    def hint(self, lines: int | None = None) -> None:
        """Say on the pane's lower border when there is more below (or above) to scroll to;
        given the text's ``lines`` (a new step, at the top), before the layout pass does."""
        below, above = self.scroll_y < self.max_scroll_y, self.scroll_y > 0
        if lines is not None:
            below, above = lines > self.scrollable_content_region.height, False
        marks = ([_("▼ more below: scroll, or tab here and ↓")] if below else []) + (
            [_("▲ more above")] if above else []
        )
        subtitle = " · ".join(marks)
        if subtitle != (self.border_subtitle or ""):  # setting it repaints, even unchanged
            self.border_subtitle = subtitle

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.hint()

    def on_mount(self) -> None:
        self.show_message(self.text)

    def on_resize(self) -> None:
        self.call_after_refresh(self.hint)

    def show_message(self, message: str) -> None:
        """Show a plain message instead of a step (loading, errors)."""
        self.text = message
        from textual.content import Content

        self.query_one(StepText).show(Content(message), ("message", message))  # plain: no markup

    def show_step(self, step: Step, total: int, rtol: float) -> None:
        """Write out ``step`` (``total`` steps in all)."""
        body, key, self.text = step_body(step, total, rtol)
        text = self.query_one(StepText)
        text.show(body, key)
        self.scroll_home(animate=False)
        if self.size.height:  # the border says it in the same frame (checked after it)
            self._scrollbar_ahead(text)
            self.hint(len(text.strips(text.content_size.width)))
        self.call_after_refresh(self.hint)

    def _scrollbar_ahead(self, text: StepText) -> None:
        """Show or hide the scroll bar before the layout pass, as it will decide from the
        text's new length: a bar that comes or goes after the pass costs another pass."""
        room, width = self.scrollable_content_region.height, text.content_size.width
        need = len(text.strips(width)) > room
        if need != self.show_vertical_scrollbar and width:
            bar = self.styles.scrollbar_size_vertical
            if (len(text.strips(width - bar if need else width + bar)) > room) == need:
                self.show_vertical_scrollbar = self.vertical_scrollbar.display = need

    def prepare(self, step: Step, total: int, rtol: float) -> None:
        """Render ``step`` ahead (idle time), so showing it later only paints."""
        body, key, _plain = step_body(step, total, rtol)
        self.query_one(StepText).prepare(body, key)


def step_body(step: Step, total: int, rtol: float) -> tuple[Group, object, str]:
    """What the pane shows for ``step``: the renderable, a key that tells it apart from other
    steps' (equal keys look the same) and the plain text."""
    from bptrace.model.describe import step_lines

    head = Text(
        f"{PHASE_MARK[step.phase]} "
        + _("{phase} step {number} / {total}:").format(
            phase=phase_name(step.phase), number=step.index + 1, total=total
        )
        + f"  {target_text(step)}",
        style="reverse bold",
    )
    body: list[RenderableType] = [head, Text("")]
    plain = [head.plain, ""]
    styles = []
    for line in step_lines(step, rtol):
        style = STYLES[line.role]
        if line.role == "check" and not step.agrees:
            style = "bold red reverse"
        styles.append(style)
        indent = "" if line.role in ("lhs", "check") else "    "
        body.append(Text(indent + line.text, style=style))
        plain.append(indent + line.text)
    if step.phase == "backward" and step.factors:
        table = Table(
            box=None, padding=(0, 2, 0, 0), show_edge=False, header_style="bold underline"
        )
        several = len(step.terms) > 1
        # a value is never wrapped or cut: the other columns fold their text instead
        if several:
            table.add_column(_("path"), overflow="fold")
        table.add_column(_("factor"), overflow="fold")
        table.add_column(_("formula"), overflow="fold")
        table.add_column(_("value"), justify="right", no_wrap=True, min_width=5)
        shown = [f for f in step.factors if f.term < TERMS_SHOWN]
        for f in shown:
            row = [f.name, f.formula, fmt_value(f.value)]
            if several:
                row.insert(0, term_label(step.terms[f.term].label))
            # Text, not str: a str cell is read as Rich markup, which takes "[t1 = 0]" for a tag
            table.add_row(*[Text(cell) for cell in row])
            plain.append("  ".join(row))
        if len(shown) < len(step.factors):  # a batch of 64: the first few products
            more = _("… {n} more, the same factors").format(n=len(step.terms) - TERMS_SHOWN)
            table.add_row(*([more] + [""] * (len(table.columns) - 1)))
            plain.append(more)
        body += [Text(""), table]
    plain_text = "\n".join(plain)
    return Group(*body), ("step", step.phase, plain_text, tuple(styles)), plain_text
