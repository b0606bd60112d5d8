"""Text we do not write ourselves is shown as it is, never read as Textual or Rich markup.

What a person types (``[/]``, ``[b]x``), a spec's name, a model's module names (an
``nn.ModuleDict`` key can be any string) and the names in a JSON trace reach the screen
through Static, Label, notify and tree labels, which read a plain ``str`` as markup: ``[/]``
crashed the app, ``[b]x`` showed as a bold ``x``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import classic_app, header, main, ready, until_screen
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.check_formula import CheckScreen
from bptrace.tui.screens.matrix_view import MatrixScreen
from bptrace.tui.widgets.info_bar import InfoBar
from bptrace.tui.widgets.module_detail import ModuleDetail
from bptrace.tui.widgets.module_step_bar import ModuleStepBar
from bptrace.tui.widgets.module_tree import ModuleTree

NAMES = ["[/]", "[b]x"]  # a closing tag with nothing to close; a style tag

MODEL = Path(__file__).parents[1] / "models" / "bracket_names.py"  # ModuleDict keys [b]x, [/]


def shown(app: App[Any], selector: str) -> str:
    """The text the Static (or Label) ``selector`` of the current screen draws."""
    return app.screen.query_one(selector, Static).visual.plain  # type: ignore[union-attr]


def toasts(app: App[Any]) -> list[str]:
    """The text each notification on screen draws (its title, then its message); the app
    must run with ``run_test(notifications=True)``."""
    return [str(toast.render()) for toast in app.screen.query("Toast")]


async def until_trace(pilot: Pilot[None]) -> None:
    for _ in range(1500):
        if getattr(pilot.app.screen, "trace", None) is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def named_spec(name: str) -> str:
    text = CLASSIC_TEXT.replace('name = "classic 2-2-2"', f"name = {json.dumps(name)}")
    assert name in text
    return text


# -- what a person types ---------------------------------------------------------------------
@pytest.mark.parametrize("typed", [*NAMES, "[@click=app.quit]y[/]"])
async def test_the_edit_box_shows_refused_text_as_typed(typed: str) -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 13, "e")
        assert type(app.screen).__name__ == "EditValueScreen"
        app.screen.query_one(Input).value = ""
        await pilot.press(*typed, "enter")
        assert type(app.screen).__name__ == "EditValueScreen", "the modal stays open"
        assert shown(app, "#error") == f"✗ not a number: {typed!r}"
        await pilot.press("escape")
        assert main(app).trace is not None and main(app).trace["w5"].value == 0.40


async def test_the_export_path_box_and_its_notice_show_brackets(tmp_path: Path) -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("x")
        box = app.screen.query_one(Input)
        box.value = str(tmp_path / "[b]x" / "t.json")
        await pilot.press("enter")
        assert type(app.screen).__name__ == "ExportPathScreen"
        assert shown(app, "#error") == f"✗ directory {tmp_path / '[b]x'} does not exist"
        box.value = str(tmp_path / "[b]x.json")
        await pilot.press("enter")
        await pilot.pause()
        assert (tmp_path / "[b]x.json").exists()
        assert any(f"wrote {tmp_path / '[b]x.json'}" in t for t in toasts(app))


async def test_the_checker_shows_its_refusal_whole() -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        main(app).index = 13  # ∂loss/∂w5
        await pilot.pause()
        await pilot.press("k")
        assert isinstance(app.screen, CheckScreen)
        await pilot.press(*"o1[0]", "enter")
        assert shown(app, "#check-result") == (
            "✗ not allowed: subscripts (a[...]) are not allowed in a formula"
        )


# -- a spec's name ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
async def test_a_spec_named_like_markup_opens_trains_and_shows_its_matrices(name: str) -> None:
    app = BptraceApp(spec=parse_spec_text(named_spec(name), "net.toml"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert f" · {name} · " in header(app)
        main(app).index = 13
        await pilot.pause()
        await pilot.press("w")
        assert isinstance(app.screen, MatrixScreen)
        assert shown(app, "#matrix-text").startswith(f"layer 2 of {name} in matrix form")
        await pilot.press("escape", "t")
        await until_screen(pilot, "TrainingScreen")
        assert shown(app, "#train-title") == f"Training: plain SGD on the {name} network"


# -- a model's module names ------------------------------------------------------------------
@pytest.fixture
def model_ref() -> str:
    return f"{MODEL}:make"


def model_app(ref: str, monkeypatch: pytest.MonkeyPatch) -> BptraceApp:
    """The app as ``bptrace --model REF`` makes it (the CLI's own arguments, not run)."""
    import bptrace.cli

    made: dict[str, Any] = {}
    monkeypatch.setattr(bptrace.cli, "run_app", lambda **kwargs: made.update(kwargs) or 0)
    assert bptrace.cli.main(["--model", ref]) == 0
    return BptraceApp(**made)


async def test_module_dict_keys_show_in_the_module_view_and_the_heads_matrices(
    model_ref: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = model_app(model_ref, monkeypatch)
    async with app.run_test(size=(200, 40)) as pilot:  # wide: the header keeps the long name
        await until_screen(pilot, "ModuleTraceScreen")
        labels = app.screen.query_one(ModuleTree).labels()
        assert "    parts.[b]x  Conv1d  (3, 2, 2)" in labels
        assert "    parts.[/]  Linear  (3, 2)" in labels
        await pilot.press("b", "n")  # the backward step of the model's last module
        detail = shown(app, "#module-detail-text")
        assert detail == app.screen.query_one(ModuleDetail).text
        assert detail.startswith("parts.[/]  Linear") and "\n  parts.[/].weight " in detail
        bar = app.screen.query_one(ModuleStepBar)
        assert str(bar.visual).split("\n")[0] == bar.text.split("\n")[0]
        await pilot.press("v")  # the per-neuron view of the Linear head, named by its path
        await until_screen(pilot, "TraceScreen")
        await until_trace(pilot)
        assert "head (parts.[/])" in app.screen.query_one(InfoBar).text
        await pilot.press("w")
        assert isinstance(app.screen, MatrixScreen)
        assert shown(app, "#matrix-text").startswith(
            f"layer 1 of {model_ref} head (parts.[/]) in matrix form"
        )


MLP = """
import torch
from torch import nn


def make():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1))
    return model, torch.randn(3, 2), torch.randn(3, 1), nn.MSELoss()
"""


@pytest.mark.parametrize("where", ["[b]x/m.py", "x[/]m.py"])  # the second: directory "x["
async def test_a_model_file_whose_path_looks_like_markup(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / where
    path.parent.mkdir(exist_ok=True)
    path.write_text(MLP, encoding="utf-8")
    ref = f"{path}:make"
    app = model_app(ref, monkeypatch)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("e")  # says why a model file cannot be edited here, naming it
        await pilot.pause()
        assert any(f"{ref} is your own Python code" in t for t in toasts(app))
        await pilot.press("w")
        assert shown(app, "#matrix-text").startswith(f"layer 1 of {ref} in matrix form")


# -- a JSON trace (bptrace view) -------------------------------------------------------------
async def test_view_of_an_mlp_trace_named_like_markup(tmp_path: Path) -> None:
    from bptrace.model.jsonio import dumps
    from bptrace.tracer.api import trace_spec

    doc = json.loads(dumps(trace_spec(parse_spec_text(CLASSIC_TEXT, "classic"))))
    doc["network"]["name"] = "[/]"
    path = tmp_path / "[b]x.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    app = BptraceApp(path=str(path), title=f"view {path}")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "[/] · forward · step 1 / 43" in header(app)
        main(app).index = 13
        await pilot.pause()
        await pilot.press("w")
        assert shown(app, "#matrix-text").startswith("layer 2 of [/] in matrix form")


async def test_view_of_a_module_trace_with_bracketed_names(model_ref: str, tmp_path: Path) -> None:
    from bptrace.model.jsonio import dumps
    from bptrace.tracer.api import trace_file

    doc = json.loads(dumps(trace_file(model_ref, None, 0.1)))
    doc["model"]["name"] = "[b]net"
    doc["warnings"] = ["[/] a note from the file [b]x"]
    path = tmp_path / "modules.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    app = BptraceApp(path=str(path), title="view [b]y")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_screen(pilot, "ModuleTraceScreen")
        assert "    parts.[/]  Linear  (3, 2)" in app.screen.query_one(ModuleTree).labels()
        assert str(app.screen.query_one(ModuleStepBar).visual).startswith("bptrace · view [b]y")
        await pilot.press("b")  # the model's own call: its detail lists the file's warnings
        assert "\n! [/] a note from the file [b]x" in shown(app, "#module-detail-text")
