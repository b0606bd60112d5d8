"""What the module screen points at, and how steps, flags and tree nodes map onto each other.

Pure Python (no textual): the screen's widgets share these so the tree, the detail pane, the
health pane and the layer diagram agree on which node a step or a flag belongs to.

An :class:`Item` is one node of the module tree: an input, a module (its calls folded in when
it is called once), one call of a module called several times, or the loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from bptrace.i18n import N_

if TYPE_CHECKING:
    from bptrace.model.health import Flag
    from bptrace.model.modules import ModuleCall, ModuleStep, ModuleTrace, Shape

Kind = Literal["input", "module", "call", "loss"]
KINDS = ("nonfinite", "exploding", "vanishing", "dead")  # most severe first, as in health
MARKS = {"nonfinite": "✗", "exploding": "▲", "vanishing": "▼", "dead": "○"}
MARK_STYLES = {"✗": "bold red", "▲": "bold yellow", "▼": "bold cyan", "○": "bold magenta"}
PHASE_MARK = {"forward": "▶", "backward": "◀", "update": "↻"}
LEGEND = N_("✗ NaN/inf · ▲ exploding · ▼ vanishing · ○ dead ReLU")  # translated where shown


@dataclass(frozen=True)
class Item:
    """One node of the module tree: ``kind`` and its ``key`` (input name, path, call, loss)."""

    kind: Kind
    key: str


LOSS = Item("loss", "loss")


def shape_text(shape: Shape) -> str:
    """``(1, 4, 8, 8)``; a 1-element tuple without the trailing comma."""
    return "(" + ", ".join(str(d) for d in shape) + ")"


def num(x: float) -> str:
    """A number in at most 10 characters: ``0.1235``, ``1.235e-05``, ``nan``, ``-inf``."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.4g}"


def marks_of(flags: list[Flag]) -> str:
    """The distinct marks of ``flags``, most severe first: ``✗▼``."""
    kinds = {f.kind for f in flags}
    return "".join(MARKS[k] for k in KINDS if k in kinds)


def input_name(tr: ModuleTrace, k: int) -> str:
    """The name health flags give input ``k`` (0-based): ``input``, or ``input1``, ``input2``…"""
    return "input" if len(tr.inputs) == 1 else f"input{k + 1}"


@dataclass
class Index:
    """Lookups between steps, flags and items of one trace (built once per trace)."""

    trace: ModuleTrace
    flags: list[Flag]
    folded: set[str] = field(default_factory=set)  # paths of modules called at most once
    call_names: set[str] = field(default_factory=set)
    _flags_of: dict[Item, list[Flag]] = field(default_factory=dict)
    _steps: dict[tuple[str, Item], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tr = self.trace
        self.folded = {m.path for m in tr.modules if len(m.calls) <= 1}
        self.call_names = {c.name for c in tr.calls}
        for f in self.flags:
            self._flags_of.setdefault(self.item_of_flag(f), []).append(f)
            if f.module is not None and f.module not in self.folded:  # a call of a shared module
                module = Item("module", f.module)
                if self.item_of_flag(f) != module:
                    self._flags_of.setdefault(module, []).append(f)
        for step in tr.steps:
            for item in self._items_of_step(step):
                self._steps.setdefault((step.phase, item), step.index)

    # -- items -------------------------------------------------------------------------------
    def item_of_call(self, name: str) -> Item:
        """The tree node of a call: its module's node, or its own when the module is shared."""
        call = self.trace.call(name)
        return Item("module", call.path) if call.path in self.folded else Item("call", name)

    def item_of_step(self, step: ModuleStep) -> Item:
        """The node a step produces: a call's node, or for an update the parameter's module."""
        if step.phase == "update":
            return Item("module", self.trace.param(step.node).module)
        return self.item_of_call(step.node)

    def _items_of_step(self, step: ModuleStep) -> list[Item]:
        item = self.item_of_step(step)
        if item.kind == "call":  # a shared module's node jumps to its first call's step
            return [item, Item("module", self.trace.call(step.node).path)]
        return [item]

    def item_of_flag(self, flag: Flag) -> Item:
        """The node a flag is about: an input, a call's node, or a parameter's module."""
        if flag.module is None:
            return Item("input", flag.node)
        if flag.module not in self.folded and flag.node in self.call_names:
            return Item("call", flag.node)
        return Item("module", flag.module)  # a folded module's call, or a parameter

    def calls_of(self, item: Item) -> list[ModuleCall]:
        """The calls an item shows: one for a call or a folded module, all of a shared one."""
        tr = self.trace
        if item.kind == "call":
            return [tr.call(item.key)]
        if item.kind == "module":
            return [tr.call(c) for c in tr.module(item.key).calls]
        return []

    # -- flags and steps ---------------------------------------------------------------------
    def flags_of(self, item: Item) -> list[Flag]:
        """The flags shown on ``item`` (a shared module's node gathers those of its calls)."""
        return self._flags_of.get(item, [])

    def flags_inside(self, path: str) -> list[Flag]:
        """The flags of every module strictly inside the module ``path``."""
        prefix = f"{path}." if path else ""
        return [
            f
            for f in self.flags
            if f.module is not None and f.module != path and f.module.startswith(prefix)
        ]

    def step_of(self, item: Item, phase: str) -> int | None:
        """The step of ``phase`` that produces ``item``, else its backward or forward step."""
        for p in (phase, "backward", "forward"):
            index = self._steps.get((p, item))
            if index is not None:
                return index
        return None
