"""The network as a tree: input, each Linear layer, each activation, the loss and its targets.

Each leaf's ``data`` is the name of a scalar (``w5``); its label shows the value and, once the
current step has reached the node's backward step, its gradient (before that it says so).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bptrace.i18n import N_, _
from bptrace.tui.reveal import LEVELS, NOT_YET, Reveal, label, reveals, stage
from bptrace.tui.tree_layout import Child, Key, TreeLayout
from bptrace.tui.widgets.leaf_size import ScrollbarsNow
from bptrace.tui.widgets.step_keys import STEP_KEYS
from bptrace.tui.widgets.tree_cursor import move_quietly

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

PARKED = 2  # how many groups the step closed keep their leaves (End and Home close and open
# the same few: their leaves are not made again each time); older ones drop them

LEAF = Text()
"""A leaf's label until it is drawn (never shown: :meth:`NetworkTree.render_label`)."""


class NetworkTree(ScrollbarsNow, Tree[str]):
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
        values or not (how many samples of a batch they show, each label says itself)."""

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
        self._layout: TreeLayout | None = None
        self._groups: dict[Key, TreeNode[str]] = {}  # the group nodes made so far
        self._key_of: dict[int, Key] = {}  # a group node's id → its key
        self._filled: set[Key] = set()  # groups whose children have been made
        self._by_name: dict[str, TreeNode[str]] = {}  # the leaf nodes made so far
        self._widths: dict[str, int] = {}  # each made leaf's label width, as last drawn
        self._opened: list[Key] = []  # groups the step opened (closed again when it moves on)
        self._parked: list[Key] = []  # groups the step closed, leaves kept (see _park)
        self._quiet: Counter[Key] = Counter()  # opened or closed by code, event still to come
        self._index = 0
        self._pending: list[str] = []  # cursor moves made by show_step, not by the person
        self.level = 0
        """Which of LEVELS the labels use now (0: every number in full)."""
        self.on_chosen: Callable[[str], None] | None = None
        """Called at once when ↓/↑ moves the cursor to a named node (else: NodeChosen)."""
        self._room = 0  # the labels' width, as last fitted (0: not yet)
        self.labels_made = 0
        """How many labels have been formatted (drawn, measured or fitted) since load."""
        self.lines_changed = 0
        """How many leaves' labels changed with a step change (lines made stale) since load."""

    @property
    def trace(self) -> Trace | None:
        """The trace the tree shows."""
        return self._trace

    @property
    def reveals(self) -> dict[str, Reveal]:
        """When each name's value, gradient and update appear (for the drawing, too)."""
        return self._reveals

    @property
    def node_count(self) -> int:
        """How many tree nodes exist now (groups and leaves, the root included)."""
        return len(self._tree_nodes)

    # -- building, a group at a time ----------------------------------------------------------
    def load(self, tr: Trace, index: int) -> None:
        """Show ``tr`` with step ``index`` current: the top groups, and inside each only what
        opens with it (a big layer's weights wait until their group is opened)."""
        self._trace, self._index = tr, index
        self._reveals = reveals(tr)
        self._layout = TreeLayout(tr)
        self._groups, self._key_of, self._filled = {}, {}, set()
        self._by_name, self._widths, self._opened, self._parked = {}, {}, [], []
        self._quiet = Counter()
        self._pending = []
        self.labels_made = self.lines_changed = 0
        self.clear()
        net = tr.network
        self.root.set_label(
            Text(f"{net.name or _('model')}  ({'-'.join(map(str, net.sizes))})", style="bold")
        )
        self.root.expand()
        for child in self._layout.top():
            self._add(self.root, child)
        self.call_after_refresh(self.fit_labels)

    def _add(self, parent: TreeNode[str], child: Child) -> None:
        if child.name is not None:  # the label is drawn when the line is (render_label)
            self._by_name[child.name] = parent.add_leaf(LEAF, data=child.name)
            return
        assert child.key is not None
        node = parent.add(child.label, expand=child.expand)
        self._groups[child.key] = node
        self._key_of[int(node.id)] = child.key
        if child.expand:
            self._fill(child.key)

    def _fill(self, key: Key) -> list[str]:
        """Make the children of group ``key`` (once); the names of the leaves made."""
        if key in self._filled or self._layout is None:
            return []
        self._filled.add(key)
        before = set(self._by_name)
        for child in self._layout.children(key):
            self._add(self._groups[key], child)
        return [n for n in self._by_name if n not in before]

    def _park(self, key: Key) -> None:
        """The step closed ``key``: the last PARKED such groups keep their leaves."""
        if key in self._parked:
            self._parked.remove(key)
        self._parked.append(key)
        while len(self._parked) > PARKED:
            self._drop(self._parked.pop(0))

    def _drop(self, key: Key) -> None:
        """Forget the leaves of a closed group that holds only leaves (made again if opened)."""
        node = self._groups.get(key)
        if node is None or node.is_expanded or key not in self._filled:
            return
        if any(child.data is None for child in node.children):
            return  # it holds groups: keep them, and whatever the person opened in them
        for child in node.children:
            if child.data is not None:
                self._by_name.pop(child.data, None)
                self._widths.pop(child.data, None)
        node.remove_children()
        self._filled.discard(key)

    def _toggled(self, node: TreeNode[str]) -> tuple[Key | None, bool]:
        """The group ``node`` was opened or closed: its key and whether the person did it (a
        step-opened group the person toggled is theirs from now on; ours are counted off)."""
        key = self._key_of.get(int(node.id))
        if key is None:
            return None, False
        if self._quiet[key] > 0:
            self._quiet[key] -= 1
            return key, False
        if key in self._opened:
            self._opened.remove(key)
        return key, True

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        """The person opened a group: make what is inside it."""
        event.stop()
        key = self._toggled(event.node)[0]
        if key is not None and event.node.is_expanded:
            self._refit(self._fill(key))

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[str]) -> None:
        event.stop()
        key, by_person = self._toggled(event.node)
        if key is not None and by_person:  # the step's own closing parks it (_park)
            self._drop(key)

    # -- labels: made when a line is drawn, for the lines on screen only --------------------
    def process_label(self, label: str | Text) -> Text:
        """A leaf's placeholder :data:`LEAF` is kept as it is (no markup parsed, no copy)."""
        return LEAF if label is LEAF else super().process_label(label)

    def render_label(self, node: TreeNode[str], base_style: Style, style: Style) -> Text:
        name = node.data
        if name is None or self._trace is None:
            return super().render_label(node, base_style, style)
        text = self._counted(name)
        room = self._room_for(name)
        if text.cell_len > room:  # even the last level is too wide: cut, with "…"
            text.truncate(room, overflow="ellipsis")
        self._widths[name] = text.cell_len
        text.stylize(style)
        return Text.assemble(("", base_style), text)

    def get_label_width(self, node: TreeNode[str]) -> int:
        name = node.data
        if name is None or self._trace is None:
            return super().get_label_width(node)
        if name not in self._widths:
            self._widths[name] = min(self._counted(name).cell_len, self._room_for(name))
        return self._widths[name]

    def _room_for(self, name: str) -> int:
        """The most the label of ``name`` may take: the pane's width less its guides."""
        if not self._room:  # not fitted yet
            return 1 << 16
        return max(1, self._room - self.guide_depth * (self._depth(name) - 1))

    def _counted(self, name: str, index: int | None = None, level: int | None = None) -> Text:
        self.labels_made += 1
        return self._label(name, index, level)

    def _label(self, name: str, index: int | None = None, level: int | None = None) -> Text:
        assert self._trace is not None
        digits, not_yet, updates, samples = LEVELS[self.level if level is None else level]
        not_yet = _(not_yet)
        at = self._index if index is None else index
        parts = label(self._trace, self._reveals[name], at, digits, samples)
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

    def fit_labels(self, names: list[str] | None = None) -> None:
        """Pick the richest label level whose every label fits the pane (as it will be at the
        last step, with every part shown), and redraw when it changed. Only the leaves made
        so far are measured; given ``names`` (leaves just made), only those, and the level
        can only get coarser."""
        if self._trace is None or not self.size.width:
            return
        room = self._room = self.scrollable_content_region.width
        last = len(self._trace.steps) - 1
        first = 0 if names is None else self.level
        leaves = [n for n in names or self._by_name if n in self._by_name]  # some since dropped
        level = len(LEVELS) - 1
        for candidate in range(first, len(LEVELS)):
            if all(
                self.guide_depth * (self._depth(n) - 1) + self._counted(n, last, candidate).cell_len
                <= room
                for n in leaves
            ):
                level = candidate
                break
        if level != self.level:
            self.level = level
            self._widths.clear()
            self._invalidate()  # every line drawn again, and the tree's width measured again
            self.post_message(self.Shortened(LEVELS[level][0], LEVELS[level][2] is not None))

    def _refit(self, names: list[str]) -> None:
        if names:
            self.call_after_refresh(self.fit_labels, names)

    def _depth(self, name: str) -> int:
        """The line depth of the leaf ``name`` (1: a child of a top group)."""
        depth, node = 0, self._by_name[name].parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth

    def on_resize(self) -> None:
        self.fit_labels()

    # -- following the step -----------------------------------------------------------------
    def show_step(self, index: int, node: str) -> None:
        """Make step ``index`` current and put the cursor on ``node``. Labels are made when a
        line is drawn, and only the lines whose label crosses one of its reveal points between
        the two steps are drawn again (and those ``node``'s groups bring into view)."""
        was, self._index = self._index, index
        for name, leaf in self._by_name.items():  # a few hundred at most: the leaves made
            reveal = self._reveals[name]
            if stage(reveal, was) != stage(reveal, index):
                leaf._updates += 1  # Tree's line cache is keyed on it: this line is stale
                self.lines_changed += 1
                if leaf._line >= 0:
                    self._refresh_line(leaf._line)
        self.select_name(node)

    def select_name(self, name: str) -> None:
        """Move the cursor to ``name`` (opening its groups) without jumping anywhere; close
        again the groups an earlier step opened that ``name`` does not need."""
        path = None if self._layout is None else self._layout.path(name)
        if path is None:
            return
        stale = [k for k in reversed(self._opened) if k not in path]
        shut = [k for k in path if k not in self._groups or not self._groups[k].is_expanded]
        if stale or shut:  # lines will come and go: park the cursor on the first line (a
            self.cursor_line = -1  # group, so no jump) first, or Tree re-finds it and says so
        made: list[str] = []
        for key in path:  # top down: each group's children include the next key
            node = self._groups[key]
            made += self._fill(key)
            if not node.is_expanded:
                self._quiet[key] += 1
                node.expand()
                self._opened.append(key)
                if key in self._parked:  # open again, with the leaves it kept
                    self._parked.remove(key)
        for key in stale:
            self._opened.remove(key)
            node = self._groups[key]
            if node.is_expanded:
                self._quiet[key] += 1
                node.collapse()
            self._park(key)
        if move_quietly(self, self._by_name[name]):
            self._pending.append(name)  # the highlight event it posts is ours, not the user's
        self._refit(made)

    def label_of(self, name: str) -> str:
        """The label of the node ``name`` as plain text, as it is drawn at the current step."""
        return self._label(name).plain

    def current_name(self) -> str | None:
        node = self.cursor_node
        return node.data if node is not None else None

    # -- events -----------------------------------------------------------------------------
    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._chosen_now()

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._chosen_now()

    def _chosen_now(self) -> None:
        """↓/↑ moved the cursor: jump in this same handler, so the cursor and the step it
        jumps to are drawn in one frame (the highlight event, later, is then only counted)."""
        name = self.current_name()
        if self.on_chosen is not None and name is not None and name not in self._pending:
            self._pending.append(name)
            self.on_chosen(name)

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
