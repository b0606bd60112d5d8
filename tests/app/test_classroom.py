"""A served app in a class, with the real follow hub in the test's event loop: a student's
session follows the teacher's step and network, stops when it moves on its own and rejoins
with ``j``; a teacher's session publishes; a served session writes no file."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from textual.pilot import Pilot

from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.serve.hub import Hub
from bptrace.tui.app import BptraceApp
from bptrace.tui.classroom import SERVED_WHY, spec_document
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.widgets.info_bar import InfoBar

CLASSIC = parse_spec_text(CLASSIC_TEXT, "classic")


def classic_app() -> BptraceApp:
    return BptraceApp(spec=CLASSIC)


def main(app: object) -> TraceScreen:
    """The main screen (not imported from conftest: tests/serve has a conftest too)."""
    screen = app.screen_stack[0]  # type: ignore[attr-defined]
    assert isinstance(screen, TraceScreen)
    return screen


async def until(pilot: Pilot[None], check: object, tries: int = 1000) -> bool:
    for _ in range(tries):
        if check():  # type: ignore[operator]
            return True
        await pilot.pause(0.01)
    return bool(check())  # type: ignore[operator]


async def ready(pilot: Pilot[None]) -> None:
    """The trace on screen (the classroom's worker runs on: conftest's ``ready`` would wait)."""
    assert await until(pilot, lambda: main(pilot.app).trace is not None, 3000)
    await pilot.pause()


@pytest.fixture
async def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Hub:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BPTRACE_SERVED", "ssh")
    server = Hub()
    await server.start()
    monkeypatch.setenv("BPTRACE_FOLLOW", str(server.path))
    yield server  # type: ignore[misc]
    await server.close()


def as_role(hub: Hub, monkeypatch: pytest.MonkeyPatch, role: str) -> None:
    monkeypatch.setenv("BPTRACE_FOLLOW_TOKEN", hub.new_token(role))


def bar(app: object) -> str:
    return str(main(app).query_one(InfoBar).text)  # type: ignore[arg-type]


async def test_a_student_follows_stops_on_its_own_and_rejoins(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_role(hub, monkeypatch, "student")
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert await until(pilot, lambda: "· following" in bar(app))
        hub.publish({"source": {"spec": spec_document(CLASSIC)}, "step": 12})
        assert await until(pilot, lambda: main(app).index == 12)
        assert "step 13 / 43" in bar(app)
        await pilot.press("n")  # on its own
        assert main(app).index == 13 and "not following" in bar(app)
        hub.publish({"source": {"spec": spec_document(CLASSIC)}, "step": 20})
        await pilot.pause(0.3)
        assert main(app).index == 13
        await pilot.press("j")
        assert await until(pilot, lambda: main(app).index == 20)
        assert "· following" in bar(app)


async def test_a_student_follows_the_teachers_edited_network(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_role(hub, monkeypatch, "student")
    edited = dataclasses.replace(
        CLASSIC, weights=[[[0.15, 0.20], [0.25, 0.30]], [[0.9, 0.45], [0.50, 0.55]]]
    )
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert await until(pilot, lambda: "· following" in bar(app))
        hub.publish({"source": {"spec": spec_document(edited)}, "step": 30})
        assert await until(pilot, lambda: main(app).index == 30 and main(app).spec == edited)
        tr = main(app).trace
        assert tr is not None and tr["w5"].value == 0.9
        assert "· following" in bar(app)


async def test_a_teacher_publishes_each_step(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    as_role(hub, monkeypatch, "teacher")
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert await until(pilot, lambda: hub.state is not None)
        assert "· leading" in bar(app)
        await pilot.press("b")
        assert await until(pilot, lambda: hub.state is not None and hub.state["step"] == 9)
        assert hub.state is not None
        assert hub.state["source"] == {"spec": spec_document(CLASSIC)}
        assert not app.check_action("follow", ())  # j is a student's key


async def test_a_served_session_writes_no_file(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BPTRACE_FOLLOW")
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("x")
        assert type(app.screen).__name__ == "TraceScreen"  # no dialog asking for a path
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert said.count(SERVED_WHY) == 2
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and "Theme" in titles
        await pilot.press(*["n"] * 13, "e")  # editing w5 still works: the editor opens
        assert type(app.screen).__name__ == "EditValueScreen"
        await asyncio.sleep(0)
    assert list(tmp_path.iterdir()) == []
