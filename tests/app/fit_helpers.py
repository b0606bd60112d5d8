"""Helpers of the fit tests: drive the classic app to a step, find what needs scrolling."""

from __future__ import annotations

from textual.app import App
from textual.widgets._footer import FooterKey

from bptrace.tui.widgets.network_drawing import NetworkDrawing

# the step to look at: the key presses from the first step, and what the drawing must hold
STEPS = {
    "forward l1": ([], "◉ h1", ("● i1", "● i2")),  # l1 = w1·i1 + w2·i2 + b1: edges w1, w2
    "backward w5": (["n"] * 13, "◉ o1", ("● h1",)),  # ∂loss/∂w5: the edge h1 → o1
    "update w5": (["u"] + ["n"] * 6, "◉ o1", ("● h1", "update w5")),  # w5 ← w5 − lr·∂
}


def scrolling(app: App[None]) -> list[str]:
    """The widgets of the screen that need horizontal scrolling, with how many columns."""
    out = []
    for w in app.screen.query("*"):
        try:
            extra = w.max_scroll_x
        except AttributeError:
            continue
        if extra > 0 and w.display and w.size.width > 0:
            out.append(f"{type(w).__name__}#{w.id}: {extra} more columns")
    return out


def footer_keys(app: App[None]) -> set[str]:
    """The keys the footer shows, fully inside the screen."""
    width = app.size.width
    return {
        k.key
        for k in app.screen.query(FooterKey)
        if k.display and k.region.width > 0 and k.region.right <= width
    }


def drawing_text(app: App[None]) -> str:
    return app.screen.query_one(NetworkDrawing).text
