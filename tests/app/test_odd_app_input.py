"""Odd text in the app's boxes: refused in place with one message, the app keeps running."""

from __future__ import annotations

from conftest import classic_app, ready
from textual.pilot import Pilot
from textual.widgets import Input, Label

from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.export_path import ExportPathScreen


async def submit(pilot: Pilot[None], selector: str, text: str) -> None:
    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    box.value = text
    await pilot.press("enter")
    await pilot.pause()


def notes(app: BptraceApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_export_path_the_file_system_refuses() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("x")
        assert isinstance(app.screen, ExportPathScreen)
        error = app.screen.query_one("#error", Label)
        await submit(pilot, "#path", "x" * 300)  # over NAME_MAX: stat() says ENAMETOOLONG
        assert "cannot write (File name too long)" in str(error.render())
        await submit(pilot, "#path", "a\0b.json")  # no system call takes a NUL
        assert "NUL" in str(error.render())
        assert isinstance(app.screen, ExportPathScreen), "the dialog stays, the app runs"


async def test_losses_lesson_numbers_no_float_holds() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("l")
        for selector in ("#loss-pred", "#loss-target"):
            for text in ("1" * 400, "1" * 5000, "[" * 100_000):
                await submit(pilot, selector, text)
                assert "not a" in notes(app)[-1]
                assert len(notes(app)[-1]) < 200
        assert type(app.screen).__name__ == "LossesScreen"


async def test_examples_dialog_in_a_one_cell_terminal() -> None:
    """At 1×1 the list of examples had no width left for its text: rich divided lines by 0."""
    app = classic_app()
    async with app.run_test(size=(1, 1)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        await pilot.pause()
        assert type(app.screen).__name__ == "ExamplesScreen"
        await pilot.resize_terminal(200, 60)
        await pilot.pause()
        await pilot.resize_terminal(2, 1)
        await pilot.press("down", "escape")
        assert type(app.screen).__name__ == "TraceScreen"
