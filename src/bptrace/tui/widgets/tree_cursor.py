"""Moving a Tree's cursor to a node from code (the step moved), the same way every time."""

from __future__ import annotations

from typing import Any

from textual.widgets import Tree
from textual.widgets.tree import TreeNode


def move_quietly(tree: Tree[Any], target: TreeNode[Any]) -> bool:
    """Open ``target``'s groups, move the cursor there without animation and scroll to it once
    laid out. False when the cursor is already there (nothing moved, no event will follow)."""
    if tree.cursor_node is target:
        return False
    parent = target.parent
    while parent is not None:
        if not parent.is_expanded:
            parent.expand()
        parent = parent.parent
    tree._tree_lines  # noqa: B018 - lays the lines out again, so target._line is current
    if target._line < 0 or target._line == tree.cursor_line:
        return False
    tree.move_cursor(target, animate=False)
    if tree.size.height:  # laid out: the lines (and so the scroll range) are known now
        scroll_now(tree, target)  # in this frame, not in a second one
    else:  # the first time, the tree has no size yet
        tree.call_after_refresh(tree.scroll_to_node, target, animate=False)
    return True


def scroll_now(tree: Tree[Any], target: TreeNode[Any]) -> None:
    """Scroll ``target`` into view at once, as :meth:`Tree.scroll_to_node` does after a frame."""
    region = tree._get_label_region(target._line)
    if region is not None:
        tree.scroll_to_region(
            region,
            animate=False,
            force=True,
            center=tree.center_scroll,
            origin_visible=False,
            x_axis=False,
            immediate=True,
        )
