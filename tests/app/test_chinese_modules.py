"""The module view, the head view and the choices dialog in Chinese: walked through at 80×24
and 100×30, they hold no English prose (names of modules, parameters, types, activations and
losses, and numbers stay) and nothing is cut: footer keys whole, pane titles whole, the header
inside its lines, the statistics tables aligned by terminal cells, and no widget that needs
more horizontal scrolling than it does in English."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from conftest import classic_app, ready, until_screen
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text
from test_app_modules import open_head
from textual.app import App
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Static
from textual.widgets._footer import FooterKey
from torch import nn

from bptrace.i18n import _, set_language
from bptrace.model.modules import ModuleTrace
from bptrace.tracer.examples import example
from bptrace.tracer.modules import trace_modules
from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.modules import ModuleTraceScreen, open_module_trace
from bptrace.tui.widgets.health_pane import HealthPane
from bptrace.tui.widgets.layer_diagram import LayerDiagram
from bptrace.tui.widgets.module_detail import ROWS, ModuleDetail
from bptrace.tui.widgets.module_step_bar import ModuleStepBar
from bptrace.tui.widgets.module_tree import ModuleTree

SIZES = [(80, 24), (100, 30)]
DT = torch.float64
# names, not prose: the program's, torch's (dtype, NaN/inf), the loss and model nodes, the
# root module's display name "(model)"; each trace adds its own module and loss type names
NAMES = {"bptrace", "input", "loss", "lr", "model", "NaN", "nan", "inf", "float64"}
# the choices dialog: activations, losses, keys, and Mazur (whose setting frozen biases are)
CHOICE_NAMES = {"sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax", "mse", "l1"}
CHOICE_NAMES |= {"smooth_l1", "bce", "cross_entropy", "Tab", "Enter", "Esc", "Mazur"}
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


def english_words(text: str, names: set[str]) -> set[str]:
    """Words of ``text`` that are neither a name nor a single letter (a key, W)."""
    text = re.sub(r"∂loss/∂[\w.#]+", " ", text)  # the names of gradients stay
    for name in sorted(names, key=len, reverse=True):  # dotted paths, call names, types
        text = text.replace(name, " ")
    words = set(re.findall(r"[A-Za-z_]+\d*[A-Za-z_\d]*", text))
    return {w for w in words if not re.fullmatch(r"[A-Za-z]\d*", w)}


def names_of(tr: ModuleTrace, title: str) -> set[str]:
    out = NAMES | {title, tr.model.type, tr.model.loss, tr.model.dtype}
    out |= {t.dtype for t in tr.targets} | {p.value.dtype for p in tr.inputs}
    out |= {m.type for m in tr.modules} | {c.name for c in tr.calls} | {p.name for p in tr.params}
    return out | {m.path for m in tr.modules if m.path}


# -- the traces: fresh ones (the steps' text is written in the language in use) --------------
def module_example(name: str) -> ModuleTrace:
    (model, x, t, loss), lr = example(name)
    return trace_modules(model, x, t, loss, lr, name)


class Twice(nn.Module):
    """A block called twice (a node per call), a NaN input (every NaN/inf text)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.block = nn.Sequential(nn.Linear(4, 4, dtype=DT), nn.ReLU())
        self.head = nn.Linear(4, 1, dtype=DT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(self.block(x)))


def twice_nan() -> ModuleTrace:
    x = torch.linspace(-1, 1, 12, dtype=DT).reshape(3, 4)
    x[0, 0] = float("nan")
    return trace_modules(Twice(), x, torch.zeros(3, 1, dtype=DT), nn.MSELoss(), 0.1, "twice")


class Side(nn.Module):
    """A module whose output the loss never sees: no gradient reaches it (``no ∂``)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.probe = nn.Linear(2, 2, dtype=DT)
        self.head = nn.Linear(2, 1, dtype=DT)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.probe(x)
        return self.head(x)


def side() -> ModuleTrace:
    x = torch.ones(3, 2, dtype=DT)
    return trace_modules(Side(), x, torch.zeros(3, 1, dtype=DT), nn.MSELoss(), 0.1, "side")


TRACES = {
    "small-cnn": lambda: module_example("small-cnn"),
    "deep-sigmoid": lambda: module_example("deep-sigmoid"),
    "dead-relu": lambda: module_example("dead-relu"),
    "twice": twice_nan,
    "side": side,
}


class ModuleApp(App[None]):
    def __init__(self, trace: ModuleTrace, title: str) -> None:
        super().__init__()
        self._trace, self._title = trace, title

    def on_mount(self) -> None:
        open_module_trace(self, self._trace, self._title)


async def settle(pilot: Any) -> None:
    for _k in range(3):
        await pilot.pause()


# -- what the module screen shows, and how it fits ---------------------------------------------
def footer_keys(app: App[Any]) -> list[FooterKey]:
    return [k for k in app.screen.query(FooterKey) if k.key != "ctrl+p"]  # Textual's palette


def detail_lines(text: str) -> list[str]:
    """The detail pane's lines but the tracer's warnings (``! …``: tracer/*.py's texts)."""
    return [line for line in text.split("\n") if not line.startswith("! ")]


def module_text(app: App[Any]) -> str:
    s = app.screen
    health = s.query_one(HealthPane)
    diagram = s.query_one(LayerDiagram)
    footer = " ".join(k.description for k in footer_keys(app))
    return "\n".join(
        [
            s.query_one(ModuleStepBar).text,
            *detail_lines(s.query_one(ModuleDetail).text),
            str(health.border_title),
            *health.lines,
            *s.query_one(ModuleTree).labels(),
            str(diagram.border_title),
            *diagram.lines,
            footer,
        ]
    )


def rows_of(text: str, width: int) -> int:
    """How many terminal rows ``text`` takes, wrapped at ``width`` cells."""
    console = Console(width=width, file=None, record=True, legacy_windows=False)
    return len(console.render_lines(Text(text), console.options.update(width=width)))


def fit_problems(app: App[Any]) -> list[str]:
    """What is cut or overflows on the module screen (empty: everything fits)."""
    s = app.screen
    width = app.size.width
    out = []
    keys = footer_keys(app)
    for k in keys:
        need = cell_len(f"{k.key_display} {k.description}".strip())
        if k.region.width < need or k.region.right > width:
            out.append(f"footer key {k.description!r} cut: {k.region}")
    for a, b in zip(keys, keys[1:], strict=False):
        if a.region.right > b.region.x:
            out.append(f"footer keys {a.description!r} and {b.description!r} overlap")
    for pane in (s.query_one(HealthPane), s.query_one(LayerDiagram)):
        title = str(pane.border_title)
        if cell_len(title) > pane.region.width - 2:
            out.append(f"title {title!r} cut at {pane.region.width} cells")
    bar = s.query_one(ModuleStepBar)
    room = bar.content_size.width
    used = sum(rows_of(line, room) for line in bar.text.split("\n"))
    if used > bar.content_size.height:
        out.append(f"header needs {used} rows, has {bar.content_size.height}")
    for widget in (s.query_one(ModuleDetail), s.query_one(HealthPane)):
        if widget.max_scroll_x > 0:
            out.append(f"{type(widget).__name__} needs {widget.max_scroll_x} more columns")
    lines = s.query_one(ModuleDetail).text.split("\n")
    for k, line in enumerate(lines):  # a statistics table: a heading, then its ROWS
        table = k + len(ROWS) < len(lines) and lines[k + 1].startswith(_("mean") + " ")
        if line.startswith(" " * 7) and table:
            widths = {cell_len(row) for row in lines[k : k + len(ROWS) + 1]}
            if len(widths) != 1:
                out.append(f"statistics table not aligned: {lines[k : k + len(ROWS) + 1]}")
    return out


def overflow(app: App[Any]) -> dict[str, int]:
    """The columns the tree and the layer diagram would need to scroll."""
    s = app.screen
    tree, diagram = s.query_one(ModuleTree), s.query_one(LayerDiagram)
    return {"tree": tree.max_scroll_x, "diagram": diagram.max_scroll_x}


@dataclass
class Walk:
    texts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    overflow: list[dict[str, int]] = field(default_factory=list)


WALK = [[], ["n"] * 3, ["b"], ["n", "n"], ["u"], ["n"], ["end"], ["h", "down", "enter"]]


async def walk(name: str, lang: str, size: tuple[int, int]) -> Walk:
    """Step through the phases, the health pane, then every node of the tree."""
    set_language(lang)
    seen = Walk()
    app = ModuleApp(TRACES[name](), name)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)

        def look() -> None:
            seen.texts.append(module_text(app))
            seen.problems.extend(fit_problems(app))
            seen.overflow.append(overflow(app))

        for keys in WALK:
            await pilot.press(*keys)
            await settle(pilot)
            look()
        tree = app.screen.query_one(ModuleTree)
        tree.focus()
        tree.cursor_line = 0  # to the input, at the top (as pressing ↑ all the way would)
        await settle(pilot)
        for _ in range(len(tree.labels())):  # every node shown (groups deeper than 3 closed)
            await pilot.press("down")
            await settle(pilot)
            look()
        assert isinstance(app.screen, ModuleTraceScreen)
    return seen


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", list(TRACES))
async def test_the_module_view_in_chinese(name: str, size: tuple[int, int]) -> None:
    try:
        zh = await walk(name, "zh", size)
        en = await walk(name, "en", size)
    finally:
        set_language("en")
    names = names_of(TRACES[name](), name)
    words = set().union(*(english_words(t, names) for t in zh.texts))
    assert not words, words
    assert all(CJK.search(t) for t in zh.texts)
    assert zh.problems == []
    # the tree and the diagram scroll sideways at 80 columns in English too; never more in zh
    for z, e in zip(zh.overflow, en.overflow, strict=True):
        assert z["tree"] <= e["tree"] and z["diagram"] <= e["diagram"], (z, e)


async def test_module_view_in_chinese_reads_as_chinese(chinese: None) -> None:
    app = ModuleApp(module_example("dead-relu"), "dead-relu")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        s = app.screen
        assert "前向 1/18" in s.query_one(ModuleStepBar).text
        assert "均值 " in s.query_one(ModuleStepBar).text
        health = s.query_one(HealthPane)
        assert health.border_title == "梯度健康状况：2 个标记"
        assert health.lines == ["○ 1  ReLU 死亡 88%", "○ 3  ReLU 死亡 75%"]
        await pilot.press("down")
        await settle(pilot)
        detail = s.query_one(ModuleDetail).text
        assert "死亡单元  87.5%（对每个样本都输出 0）" in detail
        assert "○ 1：ReLU 死亡单元：88% 的单元对每个样本都输出 0，因此它们的梯度为 0" in detail
        assert "▶ 本次调用的前向步骤" in detail
        labels = s.query_one(ModuleTree).labels()
        assert "○ 1  ReLU  (8, 16)  死亡 88%" in [label.strip() for label in labels]
        await pilot.press("u", "u")
        await settle(pilot)
        assert "更新 " in s.query_one(ModuleStepBar).text
        await pilot.press("question_mark")
        await settle(pilot)
        console = Console(width=100, record=True, file=None)
        for static in app.screen.query(Static):
            console.print(static.content)
        text = console.export_text()
        assert "把焦点移到梯度健康面板" in text and "▲ 梯度爆炸" in text


async def test_no_gradient_reads_in_chinese_and_keeps_the_columns(chinese: None) -> None:
    app = ModuleApp(side(), "side")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = app.screen.query_one(LayerDiagram).lines
        probe = next(line for line in lines if " probe " in line)
        head = next(line for line in lines if " head " in line)
        assert "无 ∂" in probe
        shape_at = [cell_len(line[: line.rindex("(")]) for line in (probe, head)]
        assert shape_at[0] == shape_at[1]  # the shapes' column, by terminal cells
        await pilot.press("b", *["n"] * 2)  # backward: (model), head, then probe
        await settle(pilot)
        assert "‖∂loss/∂probe‖ = 无（没有梯度）" in app.screen.query_one(ModuleStepBar).text


# -- the module and head views inside the app -----------------------------------------------
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_app_opens_the_module_and_head_views_in_chinese(
    size: tuple[int, int], chinese: None
) -> None:
    app = BptraceApp(example="small-cnn")
    async with app.run_test(size=size) as pilot:
        await until_screen(pilot, "ModuleTraceScreen")
        await settle(pilot)
        tr = app.screen.trace  # type: ignore[attr-defined]
        title = app.screen.query_one(ModuleStepBar).title  # "example small-cnn": tui/source.py's
        assert not english_words(module_text(app), names_of(tr, title))
        assert fit_problems(app) == []
        await open_head(pilot)
        head = app.screen.trace  # type: ignore[attr-defined]
        assert head.network.name == "small-cnn 的输出头（9）"
        await pilot.press("e")  # read-only: says why, in Chinese
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert "较大模型的输出头以只读方式显示" in messages


# -- the choices dialog ---------------------------------------------------------------------
def dialog_text(app: App[Any], warnings: bool) -> str:
    s = app.screen
    parts = [str(w.render()) for w in s.query(Label)]
    parts += [str(w.render()) for w in s.query("#dialog > Static") if w.id != "choice-warnings"]
    parts += [str(b.label) for b in s.query(Checkbox)] + [str(b.label) for b in s.query(Button)]
    if warnings:  # the pairing warnings themselves are model/lesson.py's texts
        parts.append(str(s.query_one("#choice-warnings", Static).render()))
    return "\n".join(parts)


def dialog_problems(app: App[Any]) -> list[str]:
    s = app.screen
    width, height = app.size
    out = []
    dialog = s.query_one("#dialog")
    if dialog.region.right > width or dialog.region.bottom > height:
        out.append(f"the dialog leaves the screen: {dialog.region}")
    labelled: list[tuple[Any, str]] = [(w, str(w.render())) for w in s.query(Label)]
    labelled += [(w, str(w.label)) for w in s.query(RadioButton)]
    labelled += [(w, str(w.label)) for w in s.query(Button)]
    for widget, text in labelled:
        need = cell_len(text) + (4 if isinstance(widget, RadioButton) else 0)  # "(●) "
        if widget.content_size.width < need:
            out.append(f"{text!r} cut: {widget.content_size.width} < {need} cells")
    box = s.query_one(Checkbox)
    if box.content_size.width < cell_len(str(box.label)) + 4 and box.content_size.height < 2:
        out.append(f"checkbox label cut: {box.content_size}")
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_choices_dialog_in_chinese(size: tuple[int, int], chinese: None) -> None:
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert type(app.screen).__name__ == "ChoicesScreen"
        text = dialog_text(app, warnings=True)
        assert "隐藏层" in text and "输出层" in text and "损失函数" in text
        assert "应用并重新追踪" in text and "✓ 这些选择搭配得当" in text
        assert not english_words(text, CHOICE_NAMES), english_words(text, CHOICE_NAMES)
        assert dialog_problems(app) == []
        output = app.screen.query_one("#choice-output", RadioSet)
        output.focus()
        await pilot.press("down", "down", "down", "down", "enter")  # softmax: a warning
        await settle(pilot)
        assert "⚠" in str(app.screen.query_one("#choice-warnings", Static).render())
        assert not english_words(dialog_text(app, warnings=False), CHOICE_NAMES)
        assert dialog_problems(app) == []
        await pilot.press("escape")
        await settle(pilot)
        assert type(app.screen).__name__ == "TraceScreen"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_choices_dialog_fits_in_english(size: tuple[int, int]) -> None:
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert dialog_problems(app) == []
