"""Everything about the highlighted node: shapes, dtype, statistics of the output and of its
gradient, each parameter with its gradient (norms first), and the node's health flags.

Statistics are laid out as rows (mean, std, min, max, ‖·‖, zeros, NaN, inf) against columns
(the value, ∂loss/∂value), so the pane stays narrow. ``text`` holds what it shows as plain text.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from bptrace.i18n import N_, _, ngettext
from bptrace.tui.module_items import (
    MARK_STYLES,
    PHASE_MARK,
    Index,
    Item,
    input_name,
    num,
    shape_text,
)
from bptrace.tui.widgets.step_keys import STEP_KEYS

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleCall, ModuleStep, ParamInfo, Stats, TensorInfo

COL = 11  # width of one number column
ROWS = ("mean", "std", "min", "max", "‖·‖", "zeros", "NaN/inf")
LABELS = {"mean": N_("mean"), "std": N_("std"), "min": N_("min"), "max": N_("max")}
LABELS |= {"zeros": N_("zeros")}  # ‖·‖ and NaN/inf are the same in every language


def _right(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` terminal cells (a Chinese character takes two)."""
    return " " * max(0, width - cell_len(text)) + text


def _left(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def stats_rows(columns: dict[str, Stats | None]) -> list[str]:
    """``ROWS`` × ``columns``: a header line and one line per statistic (``—`` for None).

    ``columns`` maps each column's heading (already in the language shown) to its statistics.
    """
    lines = [" " * 7 + "".join(_right(h, COL) for h in columns)]
    for row in ROWS:
        cells = [_cell(s, row) for s in columns.values()]
        label = _(LABELS[row]) if row in LABELS else row
        lines.append(_left(label, 7) + "".join(_right(c, COL) for c in cells))
    return lines


def _cell(s: Stats | None, row: str) -> str:
    if s is None:
        return "—"
    values = {
        "mean": num(s.mean),
        "std": num(s.std),
        "min": num(s.min),
        "max": num(s.max),
        "‖·‖": num(s.norm),
        "zeros": f"{100 * s.zeros:.1f}%",
        "NaN/inf": f"{s.nan}/{s.inf}",
    }
    return values[row]


def _short(x: float) -> str:
    """At most 8 characters: ``0.0108``, ``2.55e-10``."""
    return num(x) if not math.isfinite(x) else f"{x:.3g}"


def _stats(t: TensorInfo | None) -> Stats | None:
    return None if t is None else t.stats


class ModuleDetail(VerticalScroll):
    """A scrolling pane describing one node of the module tree."""

    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = ""
        self._parts: list[tuple[str, str]] = []
        self._mark = -1  # the line of the parameter the current update step changes

    def compose(self) -> ComposeResult:
        yield Static(self.text, id="module-detail-text")

    # -- writing ----------------------------------------------------------------------------
    def _line(self, text: str = "", style: str = "") -> None:
        self._parts.append((text, style))

    def show(self, index: Index, item: Item, step: ModuleStep | None = None) -> None:
        """Describe ``item``; ``step`` (the current step, when it is of this item) is marked
        where it shows: the output's statistics, or the parameter it updates."""
        self._parts = []
        self._mark = -1
        tr = index.trace
        for f in index.flags_of(item):
            self._line(f.line(), MARK_STYLES[f.mark])
        if item.kind == "input":
            k = next(i for i in range(len(tr.inputs)) if input_name(tr, i) == item.key)
            pair = tr.inputs[k]
            self._line(f"{item.key}  {shape_text(pair.value.shape)}  {pair.value.dtype}", "bold")
            self._line()
            columns = {_("value"): pair.value.stats, "∂loss/∂in": _stats(pair.grad)}
            for line in stats_rows(columns):
                self._line(line)
        elif item.kind == "loss":
            self._line(f"loss  {tr.model.loss} = {num(tr.loss)}", "bold")
            self._line(f"{_('model')}  {tr.model.type}  {tr.model.dtype}")
            if tr.model.lr is not None:
                self._line(f"lr  {num(tr.model.lr)}")
            for k, t in enumerate(tr.targets):
                self._line()
                target = _("target {k}").format(k=k + 1)
                self._line(f"{target}  {shape_text(t.shape)}  {t.dtype}", "bold")
                for line in stats_rows({_("value"): t.stats}):
                    self._line(line)
        else:
            self._module(index, item, step)
        self.text = "\n".join(line for line, _ in self._parts)
        rich = Text()
        for k, (line, style) in enumerate(self._parts):
            if k:
                rich.append("\n")
            rich.append(line, style=style)
        self.query_one("#module-detail-text", Static).update(rich)
        row = max(0, self._mark - 3)
        self.call_after_refresh(self.scroll_to, y=row, animate=False)

    def _module(self, index: Index, item: Item, step: ModuleStep | None) -> None:
        tr = index.trace
        calls = index.calls_of(item)
        path = tr.call(item.key).path if item.kind == "call" else item.key
        module = tr.module(path)
        head = f"{module.name}  {module.type}"
        if item.kind == "call" or len(calls) > 1:
            n = len(module.calls)
            head += "  " + ngettext("({count} call)", "({count} calls)", n).format(count=n)
        self._line(head, "bold")
        if item.kind == "module" and len(calls) > 1:
            self._line(_("calls: {names}").format(names=", ".join(c.name for c in calls)))
        if not calls:
            self._line(_("not called in this forward pass"))
        for call in calls if len(calls) == 1 or item.kind == "call" else []:
            self._call(call, None if step is None else step.phase)
        if item.kind == "module" and path == "" and tr.warnings:
            self._line()
            for w in tr.warnings:
                self._line(f"! {w}", "italic")
        params = tr.params_of(path)
        if params:
            self._params(params, step)

    def _call(self, call: ModuleCall, phase: str | None) -> None:
        ins = ", ".join(shape_text(s) for s in call.inputs) or "()"
        self._line(_("in   {shapes}").format(shapes=ins))
        for k, pair in enumerate(call.outputs):
            label = _("output") if len(call.outputs) == 1 else _("output {k}").format(k=k + 1)
            shape = f"{shape_text(pair.value.shape)}  {pair.value.dtype}"
            self._line(_("out  {shape}  ({label})").format(shape=shape, label=label))
        if call.dead is not None:
            percent = f"{100 * call.dead:.1f}"
            self._line(_("dead units  {percent}% (0 for every sample)").format(percent=percent))
        for k, pair in enumerate(call.outputs):
            self._line()
            if phase in ("forward", "backward") and k == 0:
                here = _("{mark} {phase} step of this call")
                self._line(here.format(mark=PHASE_MARK[phase], phase=_(phase)), "reverse")
            columns = {_("output"): pair.value.stats, "∂loss/∂out": _stats(pair.grad)}
            if len(call.outputs) > 1:
                self._line(_("output {k}").format(k=k + 1), "bold")
            for line in stats_rows(columns):
                self._line(line)

    def _params(self, params: list[ParamInfo], step: ModuleStep | None) -> None:
        update = step.node if step is not None and step.phase == "update" else None
        self._line()
        self._line(_("parameters"), "bold underline")
        width = max(len(p.name) for p in params) + 2
        self._line(f"{'':{width}} {'‖W‖':>8} {'‖∂W‖':>8} {'∂W/W':>8}")
        for p in params:
            if p.name == update:
                self._mark = len(self._parts)
            name = f"↻ {p.name}" if p.name == update else f"  {p.name}"
            w = p.value.stats.norm
            g = None if p.grad is None else p.grad.stats.norm
            ratio = "—" if g is None or w == 0 else _short(g / w)
            grad = "—" if g is None else _short(g)
            line = f"{name:{width}} {_short(w):>8} {grad:>8} {ratio:>8}"
            self._line(line, "reverse" if p.name == update else "")
        for p in params:
            self._line()
            frozen = "" if p.trainable else _("  (frozen)")
            self._line(f"{p.name}  {shape_text(p.value.shape)}  {p.value.dtype}{frozen}", "bold")
            if p.updated is not None:
                norm = num(p.updated.stats.norm)
                self._line(_("after one step: ‖W‖ = {norm}").format(norm=norm))
            columns = {_("value"): p.value.stats, "∂loss/∂W": _stats(p.grad)}
            for line in stats_rows(columns):
                self._line(line)
