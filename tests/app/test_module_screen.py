"""The module screen (any nn.Module) mounted on a tiny App of its own, driven by keys at 80x24:
module paths and shapes in the tree, health marks (▼ vanishing, ○ dead, ✗ NaN) in the tree and
in the health pane, stepping moves the tree's cursor; plus two SVG snapshots."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from typing import Any

import torch
from textual.app import App
from textual.pilot import Pilot
from torch import nn

from bptrace.model.modules import ModuleTrace
from bptrace.tracer.api import trace_example_any
from bptrace.tracer.examples import example
from bptrace.tracer.modules import trace_modules
from bptrace.tui.module_items import Item
from bptrace.tui.screens.modules import ModuleTraceScreen, open_module_trace
from bptrace.tui.widgets.health_pane import HealthPane
from bptrace.tui.widgets.layer_diagram import LayerDiagram
from bptrace.tui.widgets.module_detail import ModuleDetail
from bptrace.tui.widgets.module_step_bar import ModuleStepBar
from bptrace.tui.widgets.module_tree import ModuleTree

SIZE = (80, 24)
DT = torch.float64


@cache
def module_trace(name: str) -> ModuleTrace:
    """A built-in example traced per module call.

    ``small-cnn`` comes from ``trace_example_any``; the two MLP examples, which
    ``trace_example_any`` traces per neuron, are traced per module here.
    """
    tr = trace_example_any(name)
    if not isinstance(tr, ModuleTrace):
        (model, inputs, targets, loss_fn), lr = example(name)
        tr = trace_modules(model, inputs, targets, loss_fn, lr, name)
    return tr


class ModuleApp(App[None]):
    """Nothing but the module screen, pushed on mount through ``open_module_trace``."""

    def __init__(self, trace: ModuleTrace, title: str = "test", back: bool = False) -> None:
        super().__init__()
        self._trace, self._title, self._back = trace, title, back

    def on_mount(self) -> None:
        open_module_trace(self, self._trace, self._title, back=self._back)


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause()


def screen(app: App[Any]) -> ModuleTraceScreen:
    assert isinstance(app.screen, ModuleTraceScreen)
    return app.screen


def tree(app: App[Any]) -> ModuleTree:
    return screen(app).query_one(ModuleTree)


def cursor(app: App[Any]) -> Item | None:
    return tree(app).current()


def module(path: str) -> Item:
    return Item("module", path)


def step_bar(app: App[Any]) -> str:
    return screen(app).query_one(ModuleStepBar).text


def detail(app: App[Any]) -> str:
    return screen(app).query_one(ModuleDetail).text


def health_lines(app: App[Any]) -> list[str]:
    return screen(app).query_one(HealthPane).lines


def diagram(app: App[Any]) -> list[str]:
    return screen(app).query_one(LayerDiagram).lines


# -- the tree -------------------------------------------------------------------------------


async def test_small_cnn_tree_shows_paths_types_and_shapes() -> None:
    app = ModuleApp(module_trace("small-cnn"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = tree(app)
        assert t.label_of(Item("input", "input")) == "input  (1, 1, 8, 8)"
        assert t.label_of(module("")) == "(model)  Sequential  (1, 3)"
        assert t.label_of(module("0")) == "0  Conv2d  (1, 4, 8, 8)"
        assert t.label_of(module("3")) == "3  MaxPool2d  (1, 4, 4, 4)"
        assert t.label_of(module("6")) == "6  AdaptiveAvgPool2d  (1, 8, 1, 1)"
        assert t.label_of(module("9")) == "9  Linear  (1, 3)"
        assert t.labels()[-1].startswith("loss  CrossEntropyLoss = ")
        assert len(t.labels()) == 1 + 11 + 1  # input, model + 10 modules, loss
        assert not any(m in label for label in t.labels() for m in "✗▲▼○")
        assert health_lines(app) == ["✓ no gradient health problems found"]
        # the first step is the first forward call, and the cursor is on it
        assert cursor(app) == module("0")
        assert "forward 1/30" in step_bar(app)
        assert "0 = Conv2d((1, 1, 8, 8)) → (1, 4, 8, 8)" in step_bar(app)
        # the detail pane: shapes, dtype, the statistics of output and gradient, parameters
        text = detail(app)
        assert "out  (1, 4, 8, 8)  float64" in text
        assert "output ∂loss/∂out" in text
        assert "0.weight  (4, 1, 3, 3)  float64" in text
        tr = module_trace("small-cnn")
        norm = tr.param("0.weight").grad
        assert norm is not None
        assert f"{norm.stats.norm:.4g}" in text
        # the layer diagram: every leaf module in call order, the current one marked
        lines = diagram(app)
        assert lines[0].strip().startswith("input")
        assert [line.split()[1] for line in lines[1:11]] == [str(k) for k in range(10)]
        assert lines[1].startswith("▶↓ 0 Conv2d")
        assert lines[-1].strip().startswith("↓ loss CrossEntropyLoss")


async def test_deep_sigmoid_marks_vanishing_layers_in_tree_and_health_pane() -> None:
    app = ModuleApp(module_trace("deep-sigmoid"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = tree(app)
        early = [str(k) for k in range(0, 16, 2)]  # the first eight Linear layers
        for path in early:
            assert t.label_of(module(path)).startswith(f"▼ {path}  Linear"), path
        for path in ("16", "18", "1", "19"):
            assert "▼" not in t.label_of(module(path)), path
        assert "[▼8 inside]" in t.label_of(module(""))
        lines = health_lines(app)
        assert len(lines) == 8
        assert [line.split()[:2] for line in lines] == [["▼", f"{p}.weight"] for p in early]
        assert all("vanishing" in line for line in lines)
        # choosing the third flag in the health pane moves the tree to layer 4
        await pilot.press("h", "down", "down", "enter")
        await settle(pilot)
        assert cursor(app) == module("4")
        assert "▼ 4.weight: vanishing gradient: ‖∂loss/∂W‖ / ‖W‖ = 3.04e-09" in detail(app)
        assert screen(app).query_one(HealthPane).has_focus  # one can go on down the list
        # the diagram shows the gradient shrinking toward the input
        bars = [line.count("█") for line in diagram(app)[1:-1]]
        assert bars[0] < bars[-1]
        assert bars == sorted(bars)


async def test_dead_relu_shows_dead_mark_and_fraction() -> None:
    app = ModuleApp(module_trace("dead-relu"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = tree(app)
        assert t.label_of(module("1")) == "○ 1  ReLU  (8, 16)  dead 88%"
        assert t.label_of(module("3")) == "○ 3  ReLU  (8, 8)  dead 75%"
        assert "○" not in t.label_of(module("0"))
        assert health_lines(app) == ["○ 1  dead ReLU 88%", "○ 3  dead ReLU 75%"]
        assert cursor(app) == module("0")  # the first forward step
        await pilot.press("down")
        await settle(pilot)
        assert cursor(app) == module("1")
        assert "dead units  87.5% (0 for every sample)" in detail(app)
        assert "○ 1: dead ReLU units: 88%" in detail(app)
        assert [line[-1] for line in diagram(app)[2:5:2]] == ["○", "○"]


# -- stepping -------------------------------------------------------------------------------


async def test_stepping_moves_the_highlighted_node() -> None:
    app = ModuleApp(module_trace("small-cnn"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for key in ["right", "n", "p", "end", "home", "b", "right", "f", "u", "n", "n", "left"]:
            await pilot.press(key)
            await settle(pilot)
            seen.append((screen(app).index, cursor(app)))
        assert seen == [
            (1, module("1")),
            (2, module("2")),
            (1, module("1")),
            (29, module("9")),  # update of 9.bias
            (0, module("0")),
            (11, module("")),  # backward starts at the model's own call
            (12, module("9")),
            (0, module("0")),
            (22, module("0")),  # update of 0.weight
            (23, module("0")),  # 0.bias
            (24, module("1")),  # 1.weight
            (23, module("0")),
        ]
        assert "update 24/30" in step_bar(app)
        assert "0.bias ← 0.bias − 0.10 · ∂loss/∂0.bias" in step_bar(app)
        await pilot.press("b", "right")
        await settle(pilot)
        assert "backward 13/30" in step_bar(app)
        assert diagram(app)[10].startswith("◀↓ 9 Linear")
        assert "◀ backward step of this call" in detail(app)


async def test_moving_the_tree_cursor_jumps_to_that_nodes_step() -> None:
    app = ModuleApp(module_trace("small-cnn"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")  # backward: step 12, (model)
        await pilot.press("down", "down")  # 0, then 1
        await settle(pilot)
        assert cursor(app) == module("1")
        assert screen(app).index == 20  # the backward step of module 1
        await pilot.press("up", "up", "up")  # 0, (model) (backward step 12), input
        await settle(pilot)
        assert cursor(app) == Item("input", "input")
        assert screen(app).index == 11  # the input has no step: the index stays
        assert "∂loss/∂in" in detail(app)


class Twice(nn.Module):
    """A residual block called twice, then a head."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.block = nn.Sequential(nn.Linear(4, 4, dtype=DT), nn.ReLU())
        self.head = nn.Linear(4, 1, dtype=DT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.block(x)
        y: torch.Tensor = self.head(x + self.block(x))
        return y


def twice_trace(nan: bool) -> ModuleTrace:
    x = torch.rand(3, 4, dtype=DT)
    if nan:
        x[0, 0] = float("nan")
    return trace_modules(Twice(), x, torch.zeros(3, 1, dtype=DT), nn.MSELoss(), 0.1, "twice")


async def test_a_module_called_twice_gets_a_node_per_call() -> None:
    app = ModuleApp(twice_trace(nan=False))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = tree(app)
        assert t.label_of(module("block")).endswith("  Sequential  called 2×")
        assert t.label_of(Item("call", "block#2")) == "block#2  #2  (3, 4)"
        assert t.label_of(Item("call", "block.0")) == "block.0  #1  (3, 4)"
        seen = []
        for _ in range(6):
            seen.append(cursor(app))
            await pilot.press("n")
            await settle(pilot)
        assert seen == [
            Item("call", "block.0"),
            Item("call", "block.1"),
            Item("call", "block"),
            Item("call", "block.0#2"),
            Item("call", "block.1#2"),
            Item("call", "block#2"),
        ]


async def test_nan_input_is_flagged_everywhere_without_crashing() -> None:
    app = ModuleApp(twice_trace(nan=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        t = tree(app)
        assert t.label_of(Item("input", "input")).startswith("✗ input")
        assert t.label_of(module("head")).startswith("✗ head")
        assert t.labels()[-1].startswith("✗ loss  MSELoss = nan")
        lines = health_lines(app)
        assert lines[0].startswith("✗ input  NaN/inf")
        assert all(line.startswith("✗") for line in lines)
        await pilot.press(*["up"] * 9)  # up the tree to the input, at its top
        await settle(pilot)
        assert cursor(app) == Item("input", "input")
        assert "✗ input: value has 1 NaN and 0 inf" in detail(app)
        for _ in range(len(screen(app).trace.steps) + 2):  # every step, and past the end
            await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, ModuleTraceScreen)
        assert "nan" in step_bar(app)
        await pilot.press("question_mark")
        await settle(pilot)
        assert not isinstance(app.screen, ModuleTraceScreen)  # the help screen
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ModuleTraceScreen)


async def test_escape_goes_back_only_when_asked() -> None:
    app = ModuleApp(module_trace("small-cnn"), back=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ModuleTraceScreen)
    app = ModuleApp(module_trace("small-cnn"), back=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ModuleTraceScreen)


def test_importing_the_screen_imports_neither_torch_nor_numpy() -> None:
    code = (
        "import sys, bptrace.tui.screens.modules\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- snapshots ------------------------------------------------------------------------------


async def wait(pilot: Pilot[None]) -> None:
    await settle(pilot)


def test_snapshot_small_cnn_backward_100x30(snap_compare: Any) -> None:
    app = ModuleApp(module_trace("small-cnn"), "example small-cnn")
    assert snap_compare(app, press=["b", "n", "n"], terminal_size=(100, 30), run_before=wait)


def test_snapshot_deep_sigmoid_80x24(snap_compare: Any) -> None:
    app = ModuleApp(module_trace("deep-sigmoid"), "example deep-sigmoid")
    assert snap_compare(app, press=["b", "end", "p"], terminal_size=(80, 24), run_before=wait)
