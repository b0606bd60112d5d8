"""The module hierarchy as a tree: path, type, output shape and health marks on every node.

The inputs come first, then the model's modules (root first, children in definition order),
then the loss. A module called once is one node; a module called several times gets one
child node per call (``#2 block.relu#2``). Marks are characters (✗ ▲ ▼ ○), so they read the
same without colour; a container also counts the marks of everything inside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from bptrace.i18n import _
from bptrace.tui.module_items import (
    KINDS,
    LOSS,
    MARK_STYLES,
    MARKS,
    Index,
    Item,
    input_name,
    marks_of,
    num,
    shape_text,
)
from bptrace.tui.widgets.step_keys import STEP_KEYS
from bptrace.tui.widgets.tree_cursor import move_quietly

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleCall, ModuleNode

OPEN_DEPTH = 3  # modules deeper than this start collapsed


class ModuleTree(Tree[Item]):
    """The module tree; moving the cursor tells the screen which node the person looks at."""

    DEFAULT_CSS = """
    ModuleTree { scrollbar-size-horizontal: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    @dataclass
    class NodeChosen(Message):
        """The person moved the cursor to (or clicked) the node ``item``."""

        item: Item

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("modules", id=id)
        self.show_root = False
        self.guide_depth = 2
        self._by_item: dict[Item, TreeNode[Item]] = {}
        self._pending: list[Item] = []  # cursor moves made by select(), not by the person

    # -- building ---------------------------------------------------------------------------
    def load(self, index: Index) -> None:
        """Build the tree of ``index.trace`` with its health marks."""
        tr = index.trace
        self.clear()
        self._by_item, self._pending = {}, []
        self.root.expand()
        for k, pair in enumerate(tr.inputs):
            item = Item("input", input_name(tr, k))
            text = self._label(index, item, item.key, "", shape_text(pair.value.shape))
            self._by_item[item] = self.root.add_leaf(text, data=item)
        self._add_module(index, self.root, tr.root, 0)
        loss = Text.assemble(("loss", "bold"), f"  {tr.model.loss} = {num(tr.loss)}")
        if not math.isfinite(tr.loss):
            loss = Text.assemble(("✗ ", MARK_STYLES["✗"]), loss)
        self._by_item[LOSS] = self.root.add_leaf(loss, data=LOSS)

    def _add_module(
        self, index: Index, parent: TreeNode[Item], module: ModuleNode, depth: int
    ) -> None:
        tr = index.trace
        item = Item("module", module.path)
        calls = [tr.call(c) for c in module.calls]
        if len(calls) == 1:
            shape = _outputs(calls[0])
        elif calls:
            shape = _("called {count}×").format(count=len(calls))
        else:
            shape = _("not called")
        inside = index.flags_inside(module.path)
        counts = [(MARKS[k], sum(f.kind == k for f in inside)) for k in KINDS]
        summary = " ".join(f"{m}{n}" for m, n in counts if n)
        text = self._label(index, item, module.name, module.type, shape, summary)
        if len(calls) == 1 and calls[0].dead:
            text.append(_("  dead {percent}%").format(percent=f"{100 * (calls[0].dead or 0):.0f}"))
        leaf = len(calls) <= 1 and not module.children
        if leaf:
            node = parent.add_leaf(text, data=item)
        else:
            node = parent.add(text, data=item, expand=depth < OPEN_DEPTH or bool(inside))
        self._by_item[item] = node
        if len(calls) > 1:
            for call in calls:
                citem = Item("call", call.name)
                ctext = self._label(index, citem, call.name, f"#{call.index}", _outputs(call))
                if call.dead:
                    ctext.append(_("  dead {percent}%").format(percent=f"{100 * call.dead:.0f}"))
                self._by_item[citem] = node.add_leaf(ctext, data=citem)
        for child in module.children:
            self._add_module(index, node, tr.module(child), depth + 1)

    @staticmethod
    def _label(
        index: Index, item: Item, name: str, type_: str, shape: str, inside: str = ""
    ) -> Text:
        """``✗▼ name [▼3 inside] type shape``: own marks first, then those inside, dim."""
        marks = marks_of(index.flags_of(item))
        text = Text()
        for m in marks:
            text.append(m, style=MARK_STYLES[m])
        if marks:
            text.append(" ")
        text.append(name, style="bold")
        if inside:
            text.append(_(" [{marks} inside]").format(marks=inside), style="dim")
        if type_:
            text.append(f"  {type_}")
        if shape:
            text.append(f"  {shape}", style="italic")
        return text

    # -- the cursor -------------------------------------------------------------------------
    def select(self, item: Item) -> None:
        """Move the cursor to ``item`` (opening its groups) without telling the screen."""
        target = self._by_item.get(item)
        if target is not None and move_quietly(self, target):
            self._pending.append(item)  # the highlight event it posts is ours, not the user's

    def current(self) -> Item | None:
        """The item under the cursor."""
        node = self.cursor_node
        return node.data if node is not None else None

    def label_of(self, item: Item) -> str:
        """The label of ``item`` as plain text."""
        return str(self._by_item[item].label)

    def labels(self) -> list[str]:
        """Every label in tree order (also of collapsed nodes), indented two spaces a level."""
        out: list[str] = []

        def walk(node: TreeNode[Item], depth: int) -> None:
            for child in node.children:
                out.append("  " * depth + str(child.label))
                walk(child, depth + 1)

        walk(self.root, 0)
        return out

    # -- events -----------------------------------------------------------------------------
    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[Item]) -> None:
        event.stop()
        item = event.node.data
        if item in self._pending:
            self._pending.remove(item)
        elif item is not None:
            self.post_message(self.NodeChosen(item))

    def on_tree_node_selected(self, event: Tree.NodeSelected[Item]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.NodeChosen(event.node.data))


def _outputs(call: ModuleCall) -> str:
    return ", ".join(shape_text(p.value.shape) for p in call.outputs) or _("no output")
