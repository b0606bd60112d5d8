"""The chain rule on the seed's tiny graph: fc1 = 1/(exp(−x·w + b) + 1), fc2 = 2·fc1 + 1 with
x = 1, w = 0, b = 0. Its autograd graph is walked ``grad_fn`` by ``grad_fn``, one node per key
press, each local derivative multiplied by the gradient arriving from above — down to
fc1's 2, w's 0.5 and b's −0.5, and why b's is negative.

The graph is built and walked by :mod:`bptrace.tracer.lesson` in a thread worker.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static

from bptrace.i18n import N_, _
from bptrace.model.fmt import fmt
from bptrace.model.lesson import CHAIN_B_WHY, ChainGraph
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.graph_walk import GraphWalk


class ChainGraphScreen(Screen[None]):
    """Step backward through the tiny graph's ``grad_fn`` nodes."""

    DEFAULT_CSS = """
    ChainGraphScreen #chain-title { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    ChainGraphScreen #chain-body { height: 1fr; padding: 0 1; }
    ChainGraphScreen #chain-forward { height: auto; }
    ChainGraphScreen #chain-result { height: auto; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), tooltip=N_("back to the previous screen")),
        Binding(
            "right,n", "step(1)", N_("Back-step"), tooltip=N_("next node of the backward walk")
        ),
        Binding("left,p", "step(-1)", N_("Undo"), tooltip=N_("previous node of the backward walk")),
        Binding("home", "go(0)", N_("First"), show=False),
        Binding(
            "end", "go(-1)", N_("Last"), tooltip=N_("the end of the walk: the leaves' gradients")
        ),
    ]

    graph: var[ChainGraph | None] = var(None)
    """The walked graph (None until the worker has built it)."""
    index: var[int] = var(0)
    """The current node of the walk."""

    def __init__(self, x: float = 1.0, w: float = 0.0, b: float = 0.0) -> None:
        super().__init__()
        self._xwb = (x, w, b)

    def compose(self) -> ComposeResult:
        x, w, b = self._xwb
        yield Static(
            _("The chain rule on a tiny graph (x = {x}, w = {w}, b = {b})").format(
                x=fmt(x), w=fmt(w), b=fmt(b)
            ),
            id="chain-title",
        )
        with VerticalScroll(id="chain-body"):
            yield Static(_("building the graph with torch…"), id="chain-forward")
            yield GraphWalk(id="chain-walk")
            yield Static(id="chain-result")
        yield Footer()

    def on_mount(self) -> None:
        self._build(*self._xwb)

    @work(thread=True, exclusive=True)
    def _build(self, x: float, w: float, b: float) -> None:
        from bptrace.tracer.chain_graph import chain_graph

        graph = chain_graph(x, w, b)
        self.app.call_from_thread(setattr, self, "graph", graph)

    def watch_graph(self, graph: ChainGraph | None) -> None:
        if graph is None:
            return
        text = Text(_("forward: "), style="bold")
        text.append(
            "fc1 = 1/(exp(−x·w + b) + 1), fc2 = 2·fc1 + 1\n",
        )
        text.append("  ".join(f"{n} = {fmt(v)}" for n, _, v in graph.forward))
        self.query_one("#chain-forward", Static).update(text)
        self._draw()

    def watch_index(self) -> None:
        self._draw()

    def _draw(self) -> None:
        graph = self.graph
        if graph is None:
            return
        self.query_one(GraphWalk).show(graph, self.index)
        result = self.query_one("#chain-result", Static)
        if self.index == len(graph.steps) - 1:
            g = graph.grads
            text = Text(_("backward() agrees: "), style="bold")
            text.append(
                f"fc1.grad = {fmt(g['fc1'])}, w.grad = {fmt(g['w'])}, b.grad = {fmt(g['b'])}\n",
                style="green",
            )
            text.append(_(CHAIN_B_WHY), style="italic")
            result.update(text)
        else:
            result.update(Text(_("→ / n: next node backward   ← / p: previous"), style="dim"))

    def validate_index(self, index: int) -> int:
        last = len(self.graph.steps) - 1 if self.graph is not None else 0
        return max(0, min(index, last))

    def action_step(self, delta: int) -> None:
        self.index += delta

    def action_go(self, index: int) -> None:
        if self.graph is not None:
            self.index = index if index >= 0 else len(self.graph.steps) - 1
