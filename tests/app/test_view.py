"""Export from the app, then ``bptrace view`` the file: read-only, and no torch needed."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import classic_app, cursor, header, pane, ready
from textual.widgets import Input

from bptrace.model.jsonio import load_trace
from bptrace.tui.app import BptraceApp


async def export_classic(path: Path) -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("x")
        assert type(app.screen).__name__ == "ExportPathScreen"
        app.screen.query_one(Input).value = str(path)
        await pilot.press("enter")
        await pilot.pause()


async def test_export_then_view(tmp_path: Path) -> None:
    path = tmp_path / "classic.json"
    await export_classic(path)
    doc = json.loads(path.read_text())
    assert doc["format"] == "bptrace.trace"
    assert doc["nodes"]["w5"]["grad"] == 0.08216704056423077

    app = BptraceApp(trace=load_trace(path), title=str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert "read-only" in header(app)
        await pilot.press(*["n"] * 13)
        assert cursor(app) == "w5"
        assert "= 0.082167" in pane(app)
        await pilot.press("e")
        assert type(app.screen).__name__ != "EditValueScreen"
        assert any("editing is disabled in `bptrace view`" in n.message for n in app._notifications)


async def test_export_refuses_a_missing_directory(tmp_path: Path) -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("x")
        app.screen.query_one(Input).value = str(tmp_path / "nope" / "t.json")
        await pilot.press("enter")
        assert type(app.screen).__name__ == "ExportPathScreen"
        assert not (tmp_path / "nope").exists()


HYGIENE = """
import asyncio, sys
from bptrace.model.jsonio import load_trace
from bptrace.tui.app import BptraceApp
from bptrace.tui.widgets.step_pane import StepPane
assert "torch" not in sys.modules, "importing the app imported torch"

class FirstFrameOnly(BptraceApp):
    def load(self, source):  # the worker would import torch: keep it from starting
        pass

async def main():
    app = FirstFrameOnly(spec=None if {view} else __import__("bptrace.model.spec", fromlist=["x"]).parse_spec_text(
        __import__("bptrace.model.spec", fromlist=["x"]).CLASSIC_TEXT, "classic"),
        trace=load_trace({path!r}) if {view} else None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = app.query_one(StepPane).text
        for key in "nnnnnnnnnnnnnb":
            await pilot.press(key)
        print(text.splitlines()[0])
    print("torch" in sys.modules)

asyncio.run(main())
"""


def run_hygiene(view: bool, path: Path) -> list[str]:
    code = textwrap.dedent(HYGIENE).format(view=view, path=str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


async def test_first_frame_and_view_never_import_torch(tmp_path: Path) -> None:
    path = tmp_path / "classic.json"
    await export_classic(path)
    first, torch_loaded = run_hygiene(view=False, path=path)
    assert first.startswith("loading…")
    assert torch_loaded == "False"
    first, torch_loaded = run_hygiene(view=True, path=path)
    assert first.startswith("▶ forward step 1 / 43")
    assert torch_loaded == "False"


def test_bptrace_view_cli_refuses_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    out = subprocess.run(
        [sys.executable, "-m", "bptrace", "view", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("bptrace: error:")
    assert "torch" not in out.stderr
