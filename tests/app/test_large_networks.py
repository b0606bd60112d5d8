"""Networks too wide or too deep for the pane at 100×30: the drawing shows the part around the
current step, and the node being computed is always inside it, in every phase."""

from __future__ import annotations

import pytest
from conftest import main, ready
from fit_helpers import scrolling

from bptrace.model.spec import parse_spec_text
from bptrace.model.trace import Trace
from bptrace.tui.app import BptraceApp
from bptrace.tui.diagram import draw, main_node
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree

WIDE = """
name = "wide 8-12-12-6"
layers = [8, 12, 12, 6]
activation = "tanh"
output_activation = "sigmoid"
loss = "mse"
lr = 0.1
inputs = [0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8]
targets = [0.0, 1.0, 0.0, 1.0, 0.0, 1.0]
seed = 1
"""
DEEP = """
name = "deep, 6 hidden layers"
layers = [2, 3, 3, 3, 3, 3, 3, 2]
activation = "sigmoid"
output_activation = "sigmoid"
loss = "mse"
lr = 0.5
inputs = [0.05, 0.10]
targets = [0.01, 0.99]
seed = 2
"""


def _loaded(app: BptraceApp) -> tuple[TraceScreen, Trace, NetworkDrawing]:
    """The main screen, its trace (loaded) and its drawing."""
    screen = main(app)
    assert screen.trace is not None
    return screen, screen.trace, app.screen.query_one(NetworkDrawing)


@pytest.mark.parametrize("text", [WIDE, DEEP], ids=["wide 8-12-12-6", "deep 6 hidden"])
async def test_the_current_node_is_always_drawn(text: str) -> None:
    app = BptraceApp(spec=parse_spec_text(text, "net.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen, tr, drawing = _loaded(app)
        reveals = app.screen.query_one(NetworkTree).reveals
        width, height = drawing.content_size.width, drawing.budget()
        assert width > 30 and height >= 10
        phases = set()
        # every step, laid out at the pane's own size
        for step in tr.steps:
            picture = draw(tr, step, reveals, width, height)
            node = main_node(tr, step)
            assert node in picture.shown, f"step {step.index + 1} ({step.phase} {step.node})"
            assert f"◉ {node}" in picture.plain
            assert max(len(line) for line in picture.plain.splitlines()) <= width
            assert len(picture.plain.splitlines()) <= height
            phases.add(step.phase)
        assert phases == {"forward", "backward", "update"}
        # and on screen, stepping by keys through each phase
        for key in ("f", "b", "u"):
            await pilot.press(key)
            for _ in range(6):
                await pilot.press("n")
                await pilot.pause()
                step = tr.steps[screen.index]
                assert f"◉ {main_node(tr, step)}" in drawing.text
                assert scrolling(app) == []
        await pilot.press("end")
        await pilot.pause()
        assert f"◉ {main_node(tr, tr.steps[-1])}" in drawing.text


async def test_off_screen_parts_are_marked() -> None:
    app = BptraceApp(spec=parse_spec_text(WIDE, "net.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        text = app.screen.query_one(NetworkDrawing).text
        assert "⋮" in text and "more" in text  # rows above or below the window
    app = BptraceApp(spec=parse_spec_text(DEEP, "net.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 14)  # l9, in the third hidden layer
        await pilot.pause()
        text = app.screen.query_one(NetworkDrawing).text
        assert "…" in text.splitlines()[2]  # columns to the left and right are off-screen
        assert "sigmoid 2" in text  # windowed columns say which layer they are


def _batch_spec(batch: int) -> str:
    """A 3-4-3 network with a batch: each value of a neuron is a list of ``batch`` numbers."""
    rows = [[round(0.1 * (s + 1) * (k - 1), 2) for k in range(3)] for s in range(batch)]
    targets = [[1.0 if k == s % 3 else 0.0 for k in range(3)] for s in range(batch)]
    return (
        f'name = "batch {batch}"\nlayers = [3, 4, 3]\nactivation = "sigmoid"\n'
        'output_activation = "softmax"\nloss = "cross_entropy"\nlr = 0.1\nseed = 3\n'
        f"inputs = {rows}\ntargets = {targets}\n"
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
async def test_a_batch_never_makes_the_tree_scroll_sideways(size: tuple[int, int]) -> None:
    """A batch's labels ("[a, b, c, d, … 64 samples] ∂ […]") are shortened to fewer samples,
    then to the count alone, and cut with "…" if even that is too wide: the tree never needs
    horizontal scrolling, whatever step opens which group; the drawing shows fewer samples
    rather than a label cut at its edge."""
    app = BptraceApp(spec=parse_spec_text(_batch_spec(64), "batch.toml"))
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        tree = app.screen.query_one(NetworkTree)
        for key in ["b", *["n"] * 8, "u", "end"]:  # the output layer's gradients, then more
            await pilot.press(key)
            await pilot.pause()
            assert scrolling(app) == [], key
            assert tree.max_scroll_x == 0, key
            for line in app.screen.query_one(NetworkDrawing).text.splitlines():
                if "… 64" in line:  # a neuron's batch label: whole, not cut at the edge
                    assert "… 64 samples]" in line, (key, line)
        assert tree.level > 4  # fewer samples than the first levels' four
        shown = [tree.label_of(n) for n in ("o1", "l5", "h1")]
        assert all("64 samples]" in label for label in shown), shown


async def test_the_drawing_only_grows_while_stepping(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shorter picture leaves blank lines instead of shrinking the pane: the step pane above
    keeps its height, and a step costs no layout pass (on the MLP b64, a picture one line
    shorter at ∂loss/∂l385 had cost two passes, 45–80 ms). Another size starts afresh."""
    from textual.screen import Screen

    passes: list[int] = []
    layout = Screen._refresh_layout

    def counted(self: Screen[object], *args: object, **kwargs: object) -> None:
        passes.append(1)
        layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    app = BptraceApp(spec=parse_spec_text(WIDE, "net.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen, tr, drawing = _loaded(app)
        heights, shorter, quiet = [], 0, 0
        for key in ["f", *["n"] * 20, "b", *["n"] * 20]:
            before = len(passes)
            await pilot.press(key)
            heights.append(drawing.size.height)
            lines = len(drawing.text.splitlines())
            shorter += lines < heights[-1]
            quiet += key == "n" and len(passes) == before and heights[-1] == heights[-2]
            assert lines <= heights[-1]
            assert f"◉ {main_node(tr, tr.steps[screen.index])}" in drawing.text
        assert heights == sorted(heights)
        assert shorter > 0  # some pictures were shorter than the pane: left blank below
        assert quiet > 20  # most steps: no layout pass at all
        await pilot.resize_terminal(120, 36)
        await pilot.pause()
        assert len(drawing.text.splitlines()) == drawing.size.height
