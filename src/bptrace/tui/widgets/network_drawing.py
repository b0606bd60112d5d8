"""A text drawing of a small network: neurons in columns, weighted edges between them.

Each row of the drawing is one neuron index; between two layers, the edges into a neuron are
listed beside it (``i1 ─w1 0.15─▶``). The current step's neurons and edges are marked with
``◉``/``»`` and shown reversed, so the highlight survives NO_COLOR. Values flow ``─▶`` left to
right; once backward has reached an edge its gradient appears as ``◀─∂ …`` under it.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, ClassVar

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import ScrollableContainer
from textual.widgets import Static

from bptrace.tui.reveal import NOT_YET, Reveal, label
from bptrace.tui.widgets.step_keys import STEP_KEYS

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace

MAX_NEURONS = 6
HOT = "reverse bold"
GRAD = "magenta"


def highlights(tr: Trace, step: Step) -> tuple[set[str], set[str]]:
    """The neuron names (inputs, h/o, loss) and weight names the step ``step`` touches."""
    namer, sizes = tr.namer, tr.network.sizes
    ref = namer.resolve(step.node)
    if ref is None:
        return set(), set()
    if ref.letter == "loss":
        return {"loss"} | {namer.post(len(sizes) - 1, r) for r in range(sizes[-1])}, set()
    if ref.letter == "w":
        return {namer.layer_input(ref.layer, ref.col), namer.post(ref.layer, ref.row)}, {step.node}
    if ref.letter in ("l", "b"):
        neuron = namer.post(ref.layer, ref.row)
        if step.phase != "forward":
            return {neuron}, set()
        edges = {namer.weight(ref.layer, ref.row, c) for c in range(sizes[ref.layer - 1])}
        inputs = {namer.layer_input(ref.layer, c) for c in range(sizes[ref.layer - 1])}
        return {neuron} | inputs, edges
    if ref.letter == "o" and step.phase == "backward":
        return {step.node, "loss"}, set()
    if ref.letter in ("h", "i") and step.phase == "backward":
        # a gradient flowing back into this neuron along every edge that leaves it
        k = ref.layer + 1
        edges = {namer.weight(k, r, ref.row) for r in range(sizes[k])}
        return {step.node} | {namer.post(k, r) for r in range(sizes[k])}, edges
    return {step.node}, set()


@cache
def _flat_console() -> Console:
    """One wide off-screen console, made once (making a Console costs milliseconds)."""
    return Console(width=10_000, color_system="truecolor", legacy_windows=False)


def flatten(renderable: RenderableType) -> Text:
    """Lay ``renderable`` out at its natural width into one Text, so no pane squeezes it."""
    console = _flat_console()  # wide enough that a table keeps its natural width
    out = Text(no_wrap=True, overflow="ignore")
    for line in console.render_lines(renderable, console.options, pad=False):
        for segment in line:
            out.append(segment.text, segment.style)
        out.append("\n")
    out.rstrip()
    return out


class NetworkDrawing(ScrollableContainer):
    """The drawing, or a note that the network is too wide to draw (the tree shows it all)."""

    BINDINGS: ClassVar[list[BindingType]] = STEP_KEYS

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = "loading…"
        self.hot: tuple[set[str], set[str]] = (set(), set())

    def compose(self) -> ComposeResult:
        yield Static("loading…", id="drawing-text")

    def show_step(self, tr: Trace, step: Step, reveals: dict[str, Reveal]) -> None:
        """Draw ``tr`` with ``step`` current."""
        renderable = self.render_drawing(tr, step, reveals)
        self.query_one("#drawing-text", Static).update(flatten(renderable))

    def render_drawing(self, tr: Trace, step: Step, reveals: dict[str, Reveal]) -> RenderableType:
        sizes = tr.network.sizes
        if max(sizes) > MAX_NEURONS:
            self.text = (
                f"This network has up to {max(sizes)} neurons in a layer; the drawing is "
                f"made for at most {MAX_NEURONS}. The tree on the left shows every value."
            )
            return Text(self.text, style="italic")
        hot_nodes, hot_edges = self.hot = highlights(tr, step)
        index, namer = step.index, tr.namer
        backward = step.phase != "forward"
        arrow = "◀── gradients flow right to left" if backward else "──▶ values flow left to right"
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold underline")
        table.add_column("input", no_wrap=True)
        for k in range(1, len(sizes)):
            table.add_column(f"edges {k} {'◀' if backward else '▶'}", no_wrap=True)
            table.add_column(f"{tr.network.activations[k - 1].name} {k}", no_wrap=True)
        table.add_column(f"loss ({tr.network.loss.name})", no_wrap=True)

        def short(name: str) -> tuple[str, str | None]:
            lab = label(tr, reveals[name], index)
            value = "·" if lab.value == NOT_YET else lab.value
            grad = None if lab.grad is None else ("·" if lab.grad == NOT_YET else lab.grad)
            return value, grad

        def neuron(name: str, pre: str | None) -> Text:
            hot = name in hot_nodes
            text = Text()
            text.append(("◉ " if hot else "○ ") + name, style=HOT if hot else "bold")
            if pre is not None:
                value, grad = short(pre)
                text.append(f"\n  {pre} {value}")
                if grad is not None and grad != "·":
                    text.append(f"\n  ∂{pre} {grad}", style=GRAD)
            value, grad = short(name)
            text.append(f"\n  {name} {value}")
            if grad is not None and grad != "·":
                text.append(f"\n  ∂{name} {grad}", style=GRAD)
            return text

        def edges(k: int, r: int) -> Text:
            text = Text()
            for c in range(sizes[k - 1]):
                w = namer.weight(k, r, c)
                hot = w in hot_edges
                value, grad = short(w)
                if c:
                    text.append("\n")
                text.append(
                    ("» " if hot else "  ") + f"{namer.layer_input(k, c)} ─{w} {value}─▶",
                    style=HOT if hot else "",
                )
                if grad is not None and grad != "·":
                    text.append(f"\n    ◀─∂ {grad}─", style=GRAD)
            return text

        for r in range(max(sizes)):
            row: list[RenderableType] = [neuron(f"i{r + 1}", None) if r < sizes[0] else Text("")]
            for k in range(1, len(sizes)):
                if r < sizes[k]:
                    row += [edges(k, r), neuron(namer.post(k, r), namer.pre(k, r))]
                else:
                    row += [Text(""), Text("")]
            row.append(self._loss_cell(tr, r, index, reveals, "loss" in hot_nodes))
            table.add_row(*row)
        legend = Text(
            f"{'◀ backward' if backward else '▶ forward'}: {arrow}\n◉ » current step   · not yet computed",
            style="italic",
        )
        self.text = legend.plain
        return Group(legend, table)

    @staticmethod
    def _loss_cell(tr: Trace, r: int, index: int, reveals: dict[str, Reveal], hot: bool) -> Text:
        text = Text()
        if r == 0:
            value = label(tr, reveals["loss"], index).value
            text.append(("◉ " if hot else "○ ") + "loss", style=HOT if hot else "bold")
            text.append(f"\n  {'·' if value == NOT_YET else value}\n")
        if r < tr.namer.n_targets:
            name = tr.namer.target(r)
            text.append(f"\n  {name} {label(tr, reveals[name], index).value}")
        return text
