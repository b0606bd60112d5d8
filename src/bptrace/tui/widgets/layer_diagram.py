"""The layer diagram: the drawing for models that are not MLPs.

One line per leaf module call, top to bottom in call order, from the input to the loss: name,
type, output shape, ‖∂loss/∂output‖ with a bar on a log scale (so vanishing gradients show as
bars shrinking toward the input), and the call's health marks. The current step's line is
marked ▶ (forward), ◀ (backward) or ↻ (update) and shown reversed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import ScrollableContainer
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.tui.module_items import MARK_STYLES, PHASE_MARK, Index, Item, marks_of, num, shape_text
from bptrace.tui.widgets.step_keys import STEP_KEYS

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleCall, ModuleStep

BAR = 8  # the longest gradient bar


def grad_bars(norms: list[float | None]) -> list[str]:
    """A bar per norm, its length the norm's log10 placed between the smallest and largest.

    ``None`` (no gradient) gives ``no ∂``; NaN or inf gives ``✗``; exact 0 gives ``0``.
    """
    logs = [math.log10(n) for n in norms if n is not None and math.isfinite(n) and n > 0]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
    out = []
    for n in norms:
        if n is None:
            out.append(_("no ∂"))
        elif not math.isfinite(n):
            out.append("✗")
        elif n == 0:
            out.append("0")
        else:
            frac = 1.0 if hi == lo else (math.log10(n) - lo) / (hi - lo)
            k = 1 + round(frac * (BAR - 1))
            out.append("█" * k + "·" * (BAR - k))
    return out


def leaf_calls(index: Index) -> list[ModuleCall]:
    """The calls the diagram draws: of modules without children (or the model, if alone)."""
    tr = index.trace
    leaves = {m.path for m in tr.modules if not m.children}
    calls = [c for c in tr.calls if c.path in leaves]
    return calls or [c for c in tr.calls if c.path == ""]


class LayerDiagram(ScrollableContainer):
    """The vertical diagram; ``lines`` holds it as plain text, one string per line."""

    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self._index: Index | None = None
        self._rows: list[tuple[Item | None, str]] = []  # (the row's item, its plain text)
        self._marks: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="layer-diagram-text")

    def load(self, index: Index) -> None:
        """Lay out the diagram of ``index.trace`` (no step marked yet)."""
        self._index = index
        tr = index.trace
        calls = leaf_calls(index)
        items = [index.item_of_call(c.name) for c in calls]
        names = [c.name for c in calls]
        types = [c.type for c in calls]
        shapes = [", ".join(shape_text(p.value.shape) for p in c.outputs) for c in calls]
        norms = [
            None if c.output is None or c.output.grad is None else c.output.grad.stats.norm
            for c in calls
        ]
        bars = grad_bars(norms)
        heads = [f"{n} {t}" for n, t in zip(names, types, strict=True)]
        wh = max([len(h) for h in heads] + [6])
        rows: list[tuple[Item | None, str]] = []
        for k, pair in enumerate(tr.inputs):
            name = "input" if len(tr.inputs) == 1 else f"input{k + 1}"
            blank = " " * (BAR + 11)
            rows.append(
                (Item("input", name), f"{name:{wh}} {blank} {shape_text(pair.value.shape)}")
            )
        self._marks = [""] * len(rows)
        for item, head, shape, norm, bar, call in zip(
            items, heads, shapes, norms, bars, calls, strict=True
        ):
            grad = "—" if norm is None else num(norm)
            flags = [f for f in index.flags if f.node == call.name]
            flags += [f for f in index.flags if f.module == call.path and f.node != call.name]
            if call.index > 1:  # parameters' flags are shown on the first call only
                flags = [f for f in flags if f.node == call.name]
            bar += " " * (BAR - cell_len(bar))  # by terminal cells: "无 ∂" takes four
            rows.append((item, f"{head:{wh}} {bar} {grad:>10} {shape}"))
            self._marks.append(marks_of(flags))
        rows.append((Item("loss", "loss"), f"loss {tr.model.loss} = {num(tr.loss)}"))
        self._marks.append("✗" if not math.isfinite(tr.loss) else "")
        self._rows = rows

    def show_step(self, step: ModuleStep | None) -> None:
        """Redraw with the line of ``step`` (if any) marked."""
        index = self._index
        if index is None:
            return
        current = None if step is None else index.item_of_step(step)
        if step is not None and step.phase == "update":  # the module's first call in the diagram
            current = next(
                (i for i, _ in self._rows if i is not None and _same(index, i, current)), None
            )
        text, lines = Text(), []
        found = -1
        for k, ((item, row), marks) in enumerate(zip(self._rows, self._marks, strict=True)):
            here = step is not None and item is not None and item == current and found < 0
            lead = PHASE_MARK[step.phase] if here and step is not None else " "
            arrow = "↓" if k else " "
            line = f"{lead}{arrow} {row}"
            if k:
                text.append("\n")
            text.append(line, style="reverse bold" if here else "")
            for m in marks:
                text.append(m, style=MARK_STYLES[m])
            lines.append(line + marks)
            if here:
                found = k
        self.lines = lines
        self.query_one("#layer-diagram-text", Static).update(text)
        if found >= 0:
            self.call_after_refresh(self._scroll_to_row, found)

    def _scroll_to_row(self, row: int) -> None:
        """Scroll so ``row`` is in the middle (the same place whatever came before)."""
        height = self.scrollable_content_region.height
        self.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True)


def _same(index: Index, row_item: Item, module: Item | None) -> bool:
    """Whether a diagram row belongs to ``module`` (a module node, for update steps)."""
    if module is None or row_item.kind not in ("module", "call"):
        return False
    if row_item.kind == "module":
        return row_item == module
    return index.trace.call(row_item.key).path == module.key
