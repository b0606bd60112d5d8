"""``bptrace quiz``: values hidden until answered, right answers accepted, wrong ones refused
with a growing hint, a score per phase; at 80×24 and 100×30."""

from __future__ import annotations

import pytest
from conftest import ready, tree_label
from textual.pilot import Pilot

from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.quiz import QuizScreen
from bptrace.tui.widgets.quiz_pane import QuizPane

SIZES = [(80, 24), (100, 30)]


def quiz_app() -> BptraceApp:
    return BptraceApp(spec=parse_spec_text(CLASSIC_TEXT, "classic"), quiz=True)


def screen_of(app: BptraceApp) -> QuizScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, QuizScreen)
    return screen


def pane(app: BptraceApp) -> str:
    return app.query_one(QuizPane).text


def on_screen(app: BptraceApp) -> str:
    """Everything drawn on the terminal, as text (the SVG's characters)."""
    return app.export_screenshot().replace("&#160;", " ")


async def answer(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_value_hidden_until_answered_then_accepted(size: tuple[int, int]) -> None:
    app = quiz_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        assert "l1 = ?" in pane(app)
        assert "0.3775" not in pane(app)
        assert tree_label(app, "l1").startswith("l1 = not yet")
        for shown in ("0.3775", "0.378"):  # neither the tree nor the drawing shows it
            assert shown not in on_screen(app)
        await answer(pilot, "0.3775")
        assert "✓ l1 = 0.3775: right" in pane(app)
        assert tree_label(app, "l1").startswith("l1 = 0.37")
        assert screen_of(app).index == 1 and "l2 = ?" in pane(app)
        assert "0.3925" not in on_screen(app) and "0.393" not in on_screen(app)
        assert "forward 1/9" in pane(app)
        assert app.query_one(QuizPane).max_scroll_x == 0


async def test_wrong_answers_get_a_growing_hint() -> None:
    app = quiz_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await answer(pilot, "0.3775")
        await answer(pilot, "0.5")
        text = pane(app)
        assert "✗ l2 is not 0.5" in text
        assert "hint: l2 = w3·i1 + w4·i2 + b2" in text
        assert "0.3925" not in on_screen(app)
        await answer(pilot, "0.39")  # 0.39 is off by 6e-3 relative: still wrong
        assert "= 0.25 × 0.05 + 0.30 × 0.10 + 0.35" in pane(app)
        assert screen_of(app).index == 1
        await answer(pilot, "1")
        text = pane(app)
        assert "the answer: l2 = 0.3925" in text
        assert screen_of(app).index == 2
        assert tree_label(app, "l2").startswith("l2 = 0.39")
        assert "forward 1/9" in text  # the missed one does not count


async def test_digits_shown_and_relative_tolerance() -> None:
    app = quiz_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await answer(pilot, "0.37752")  # within 1e-3
        await answer(pilot, "0.3925")
        await answer(pilot, "0.593270")  # h1, the digits the app shows
        assert "✓ h1 = 0.593270: right" in pane(app)


async def test_reveal_and_a_hidden_gradient() -> None:
    app = quiz_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for _ in range(9):  # l1 l2 h1 h2 l3 l4 o1 o2 loss
            await pilot.press("ctrl+r")
            await pilot.pause()
        assert "skipped: loss = 0.29837110876" in pane(app)
        assert "∂loss/∂o1 = ?" in pane(app)
        assert "0.741365" not in on_screen(app) and "0.741" not in on_screen(app)
        assert "∂ not yet" in tree_label(app, "o1") and "0.741" not in tree_label(app, "o1")
        await answer(pilot, "0.7413650695")
        assert "∂ 0.741" in tree_label(app, "o1")
        assert "backward 1/22" in pane(app) and "forward 0/9" in pane(app)
        await pilot.press("up")  # look back at an answered step: written out in full
        await pilot.pause()
        assert "= 0.741365" in pane(app)
        await pilot.press("down", "down")  # never past the question
        await pilot.pause()
        assert screen_of(app).index == 10 and "∂loss/∂o2 = ?" in pane(app)


async def test_no_value_leaks_through_other_keys() -> None:
    app = quiz_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = screen_of(app)
        for action in ("check_formula", "matrix", "edit", "step", "phase"):
            assert not screen.check_action(action, ())
        await pilot.press("tab")  # out of the input, into the tree
        await pilot.press("w", "k", "e", "right", "end")
        await pilot.pause()
        assert app.screen is screen and screen.index == 0
