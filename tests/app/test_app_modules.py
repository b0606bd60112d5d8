"""The app on models that are not plain MLPs, and the module view of an MLP (issue 5)."""

from __future__ import annotations

from conftest import main, ready, until_screen
from textual.pilot import Pilot

from bptrace.tui.app import BptraceApp


async def open_head(pilot: Pilot[None]) -> None:
    """From the module view, open the head's per-neuron view and wait for its trace."""
    await until_screen(pilot, "ModuleTraceScreen")
    await pilot.press("v")
    await until_screen(pilot, "TraceScreen")
    for _ in range(200):
        if getattr(pilot.app.screen, "trace", None) is not None:
            break
        await pilot.pause(0.02)


async def test_a_cnn_example_opens_the_module_view() -> None:
    app = BptraceApp(example="small-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_screen(pilot, "ModuleTraceScreen")
        assert app.screen.trace.model.name == "small-cnn"  # type: ignore[attr-defined]


async def test_deep_sigmoid_warns_and_m_opens_its_module_view() -> None:
    app = BptraceApp(example="deep-sigmoid")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert main(app).trace is not None
        assert any("vanishing" in str(n.message) for n in app._notifications)
        await pilot.press("m")
        await until_screen(pilot, "ModuleTraceScreen")
        await pilot.press("escape")
        assert app.screen is main(app)


async def test_the_module_view_of_a_json_trace_is_refused_clearly() -> None:
    from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
    from bptrace.tracer.api import trace_spec

    app = BptraceApp(trace=trace_spec(parse_spec_text(CLASSIC_TEXT, "classic")), title="view x")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("m")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("needs the model itself" in str(n.message) for n in app._notifications)


async def test_view_of_a_module_export_opens_the_module_view(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bptrace.cli import main as cli_main
    from bptrace.model.jsonio import load_trace

    path = tmp_path / "cnn.json"
    assert cli_main(["export", "--example", "small-cnn", "-o", str(path)]) == 0
    app = BptraceApp(trace=load_trace(path), title=f"view {path.name}")
    async with app.run_test(size=(120, 40)) as pilot:
        await until_screen(pilot, "ModuleTraceScreen")
        screen = app.screen
        assert screen.trace.model.name == "small-cnn"  # type: ignore[attr-defined]
        await pilot.press("b")
        await pilot.pause()
        assert screen.trace.steps[screen.index].phase == "backward"  # type: ignore[attr-defined]


async def test_v_opens_the_per_neuron_view_of_a_cnn_head() -> None:
    app = BptraceApp(example="small-cnn")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_head(pilot)
        tr = app.screen.trace  # type: ignore[attr-defined]
        assert tr.network.sizes == (8, 3) and "head" in (tr.network.name or "")
        await pilot.press("b")
        await pilot.pause()
        assert "✓ autograd" in str(app.screen.query_one("#step").text)  # type: ignore[attr-defined]
        await pilot.press("escape")
        assert type(app.screen).__name__ == "ModuleTraceScreen"


FACTORY = """
import torch
from torch import nn

def make():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv1d(1, 2, 3, dtype=torch.float64), nn.ReLU(), nn.Flatten(),
        nn.Linear(16, 3, dtype=torch.float64), nn.Sigmoid(), nn.Linear(3, 2, dtype=torch.float64),
    )
    x = torch.linspace(-1, 1, 10, dtype=torch.float64).reshape(1, 1, 10)
    return model, x, torch.tensor([[0.2, 0.7]], dtype=torch.float64), nn.MSELoss()
"""


async def test_your_own_model_gets_the_module_and_head_views(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bptrace.tracer.api import trace_file

    path = tmp_path / "mine.py"
    path.write_text(FACTORY)
    ref = f"{path}:make"
    app = BptraceApp(
        trace=trace_file(ref), title=ref, read_only="yours", model_ref=(ref, None, None)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await open_head(pilot)
        assert app.screen.trace.network.sizes == (16, 3, 2)  # type: ignore[attr-defined]
