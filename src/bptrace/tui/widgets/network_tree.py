"""The network as a tree: input, each Linear layer, each activation, the loss and its targets.

Each leaf's ``data`` is the name of a scalar (``w5``); its label shows the value and, once the
current step has reached the node's backward step, its gradient (before that it says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bptrace.i18n import N_, _
from bptrace.tui.reveal import NOT_YET, Reveal, label, reveals
from bptrace.tui.widgets.step_keys import STEP_KEYS
from bptrace.tui.widgets.tree_cursor import move_quietly

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

BIG = 6  # more neurons than this in a layer: weights grouped per neuron, collapsed
# How labels shrink to fit the pane: (significant digits or None for all, the text for a
# gradient not computed yet, the arrow before an updated value or None to leave it out).
# Numbers are rounded, never cut.
LEVELS: list[tuple[int | None, str, str | None]] = [
    (None, NOT_YET, " → "),
    (4, N_("not yet"), " → "),
    (3, N_("not yet"), " → "),
    (3, N_("not yet"), " →"),
    (3, N_("not yet"), None),
]


class NetworkTree(Tree[str]):
    """The tree of named scalars; moving the cursor jumps to the step that computes a node."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_KEYS[:4],
        Binding("enter", "edit", N_("Edit value"), show=False),
    ]

    @dataclass
    class NodeChosen(Message):
        """The person moved the cursor to (or clicked) the node ``name``."""

        name: str

    @dataclass
    class Shortened(Message):
        """The labels now show ``digits`` significant digits (None: in full), and updated
        values or not."""

        digits: int | None
        updates: bool

    @dataclass
    class EditRequested(Message):
        """The person asked to edit the value of ``name`` (Enter on a node)."""

        name: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("network", id=id)
        self.show_root = False  # the network's name is in the header
        self.guide_depth = 2
        self._trace: Trace | None = None
        self._reveals: dict[str, Reveal] = {}
        self._by_name: dict[str, TreeNode[str]] = {}
        self._by_step: dict[int, list[str]] = {}
        self._index = 0
        self._pending: list[str] = []  # cursor moves made by show_step, not by the person
        self._depth: dict[str, int] = {}  # each leaf's line depth (1: a child of a top group)
        self.level = 0
        """Which of LEVELS the labels use now (0: every number in full)."""

    @property
    def trace(self) -> Trace | None:
        """The trace the tree shows."""
        return self._trace

    @property
    def reveals(self) -> dict[str, Reveal]:
        """When each name's value, gradient and update appear (for the drawing, too)."""
        return self._reveals

    # -- building ---------------------------------------------------------------------------
    def load(self, tr: Trace, index: int) -> None:
        """Rebuild the tree for ``tr`` with step ``index`` current."""
        self._trace, self._index = tr, index
        self._reveals = reveals(tr)
        self._by_step = {}
        for name, rev in self._reveals.items():
            for t in rev.thresholds():
                self._by_step.setdefault(t, []).append(name)
        self._by_name = {}
        self._depth = {}
        self._pending = []
        self.clear()
        net = tr.network
        namer = tr.namer
        self.root.set_label(
            Text(f"{net.name or _('model')}  ({'-'.join(map(str, net.sizes))})", style="bold")
        )
        self.root.expand()
        group = self.root.add(_("input"), expand=True)
        for c in range(net.sizes[0]):
            self._leaf(group, f"i{c + 1}")
        for k in range(1, net.depth + 1):
            n_in, n_out = net.sizes[k - 1], net.sizes[k]
            big = n_out > BIG or n_in > BIG
            linear = self.root.add(f"Linear {k}  ({n_in}→{n_out})", expand=not big or k == 1)
            weights = linear.add(_("weights"), expand=not big)
            for r in range(n_out):
                into = (
                    weights.add(_("into {name}").format(name=namer.pre(k, r)), expand=False)
                    if big
                    else weights
                )
                for c in range(n_in):
                    self._leaf(into, namer.weight(k, r, c))
            if net.has_bias[k - 1]:
                biases = linear.add(_("biases"), expand=not big)
                for r in range(n_out):
                    self._leaf(biases, namer.bias(k, r))
            pre = linear.add(_("pre-activations"), expand=True)
            for r in range(n_out):
                self._leaf(pre, namer.pre(k, r))
            act = net.activations[k - 1]
            post = self.root.add(f"{act.name} {k}", expand=True)
            for r in range(n_out):
                self._leaf(post, namer.post(k, r))
        loss = self.root.add(f"loss  ({net.loss.name}, {net.loss.reduction})", expand=True)
        for c in range(namer.n_targets):
            self._leaf(loss, namer.target(c))
        self._leaf(loss, "loss")
        if net.lr is not None:
            self._leaf(loss, "lr")
        self.call_after_refresh(self.fit_labels)

    def _leaf(self, parent: TreeNode[str], name: str) -> None:
        self._by_name[name] = parent.add_leaf(self._label(name), data=name)
        depth, node = 1, parent
        while node.parent is not None:
            depth, node = depth + 1, node.parent
        self._depth[name] = depth

    def _label(self, name: str, index: int | None = None, level: int | None = None) -> Text:
        assert self._trace is not None
        digits, not_yet, updates = LEVELS[self.level if level is None else level]
        not_yet = _(not_yet)
        at = self._index if index is None else index
        parts = label(self._trace, self._reveals[name], at, digits)
        text = Text()
        text.append(parts.name, style="bold")
        text.append(" = ")
        unknown = "italic"  # not dim: dimmed text falls under 4.5:1
        text.append(
            not_yet if parts.value == NOT_YET else parts.value,
            unknown if parts.value == NOT_YET else "",
        )
        if parts.grad is not None:
            text.append(" ∂ ")
            if parts.grad_known:
                text.append(parts.grad, style="bold magenta")
            else:
                text.append(not_yet, style=unknown)
        if parts.updated is not None and updates is not None:
            text.append(f"{updates}{parts.updated}", style="green")
        return text

    def fit_labels(self) -> None:
        """Pick the richest label level whose every label fits the pane (as it will be at the
        last step, with every part shown), and relabel when it changed."""
        if self._trace is None or not self.size.width:
            return
        room = self.scrollable_content_region.width
        last = len(self._trace.steps) - 1
        level = len(LEVELS) - 1
        for candidate in range(len(LEVELS)):
            if all(
                self.guide_depth * (self._depth[n] - 1) + self._label(n, last, candidate).cell_len
                <= room
                for n in self._by_name
            ):
                level = candidate
                break
        if level != self.level:
            self.level = level
            for name, node in self._by_name.items():
                node.set_label(self._label(name))
            self._invalidate()  # the tree's width is measured again
            self.post_message(self.Shortened(LEVELS[level][0], LEVELS[level][2] is not None))

    def on_resize(self) -> None:
        self.fit_labels()

    # -- following the step -----------------------------------------------------------------
    def show_step(self, index: int, node: str) -> None:
        """Make step ``index`` current: relabel what changed, put the cursor on ``node``."""
        old, self._index = self._index, index
        low, high = min(old, index), max(old, index)
        for t in range(low + 1, high + 1):
            for name in self._by_step.get(t, ()):
                self._by_name[name].set_label(self._label(name))
        self.select_name(node)

    def select_name(self, name: str) -> None:
        """Move the cursor to ``name`` (opening its groups) without jumping anywhere."""
        target = self._by_name.get(name)
        if target is not None and move_quietly(self, target):
            self._pending.append(name)  # the highlight event it posts is ours, not the user's

    def label_of(self, name: str) -> str:
        """The label of the node ``name`` as plain text, as it is on screen now."""
        return str(self._by_name[name].label)

    def current_name(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    # -- events -----------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        event.stop()
        name = event.node.data
        if name in self._pending:
            self._pending.remove(name)
        elif name is not None:
            self.post_message(self.NodeChosen(name))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.NodeChosen(event.node.data))

    def action_edit(self) -> None:
        name = self.current_name()
        if name is not None:
            self.post_message(self.EditRequested(name))
