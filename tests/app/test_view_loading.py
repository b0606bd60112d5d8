"""``bptrace view FILE``: a loading screen at once, the file read in a worker (no torch), and a
file that cannot be read still ends in one ``bptrace: error:`` line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import header, pane, ready

from bptrace.tui.app import BptraceApp


@pytest.fixture
def classic_json(tmp_path: Path) -> Path:
    path = tmp_path / "classic.json"
    out = subprocess.run(
        [sys.executable, "-m", "bptrace", "export", "-o", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return path


class NeverReads(BptraceApp):
    """The app with its worker kept from starting: what the first frame shows."""

    def load(self, source):  # type: ignore[no-untyped-def,override]
        pass


async def test_the_first_frame_says_which_file_is_being_read(classic_json: Path) -> None:
    app = NeverReads(path=str(classic_json), title=f"view {classic_json}")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert pane(app).startswith(f"loading… reading {classic_json} (0.0")
        assert "loading…" in header(app)
        assert app.main.trace is None


async def test_the_worker_reads_the_file_and_shows_it_read_only(classic_json: Path) -> None:
    app = BptraceApp(path=str(classic_json), title=f"view {classic_json}")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "forward · step 1 / 43" in header(app) and "read-only" in header(app)
        await pilot.press(*["n"] * 13)
        assert "= 0.082167" in pane(app)
        await pilot.press("e")
        assert any("editing is disabled in `bptrace view`" in n.message for n in app._notifications)
        assert app.failure is None


async def test_a_bad_file_closes_the_app_with_the_reason(
    tmp_path: Path, classic_json: Path
) -> None:
    doc = json.loads(classic_json.read_text())
    doc["version"] = 999
    bad = tmp_path / "v999.json"
    bad.write_text(json.dumps(doc))
    app = BptraceApp(path=str(bad), title="view")
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(500):
            if app.failure is not None:
                break
            await pilot.pause(0.01)
    assert app.failure is not None and str(bad) in app.failure and "999" in app.failure
    assert app.return_code == 2


READ_IN_WORKER = """
import asyncio, sys
from bptrace.tui.app import BptraceApp

async def main():
    app = BptraceApp(path={path!r}, title="view")
    async with app.run_test(size=(80, 24)) as pilot:
        while app.main.trace is None:
            await pilot.pause(0.01)
        print(app.main.trace.steps[0].node)
    print("torch" in sys.modules)

asyncio.run(main())
"""


def test_the_worker_never_imports_torch(classic_json: Path) -> None:
    code = textwrap.dedent(READ_IN_WORKER).format(path=str(classic_json))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["l1", "False"]


def _tmux(socket: str, *args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def _screen_until(socket: str, needle: str, seconds: float = 60, line_start: bool = False) -> str:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = _tmux(socket, "capture-pane", "-p", "-J")
        lines = text.splitlines()
        if any(ln.startswith(needle) for ln in lines) if line_start else needle in text:
            return text
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared; the screen was:\n{text}")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_in_a_real_terminal(tmp_path: Path, classic_json: Path) -> None:
    """In tmux: a good file reaches the trace; a truncated one ends in one error line, exit 2."""
    bad = tmp_path / "cut.json"
    bad.write_text(classic_json.read_text()[:500])
    socket = f"bptrace-view-{tmp_path.name}"
    _tmux(
        socket,
        "new-session",
        "-d",
        "-x",
        "100",
        "-y",
        "30",
        "env PS1=READY: bash --norc --noprofile",
    )
    try:
        run = f"{sys.executable} -m bptrace view"
        _tmux(socket, "send-keys", f"{run} {classic_json}", "Enter")
        _screen_until(socket, "▶ forward step 1 / 43:  l1")
        _tmux(socket, "send-keys", "q")
        _screen_until(socket, "READY:")  # the app has quit and the shell waits
        _tmux(socket, "send-keys", f"clear; {run} {bad}; echo status=$?", "Enter")
        text = _screen_until(socket, "status=", line_start=True)
        lines = [ln for ln in text.splitlines() if ln.strip()]
        at = next(i for i, ln in enumerate(lines) if ln.startswith("status="))
        assert lines[at] == "status=2"
        assert lines[at - 1].startswith(f"bptrace: error: {bad}: not valid JSON")
        assert "Traceback" not in text
    finally:
        _tmux(socket, "kill-server")
