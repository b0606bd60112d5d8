"""The checker (k) and the matrix view (w) in the app, at 80×24 and 100×30."""

from __future__ import annotations

import pytest
from conftest import classic_app, main, ready

from bptrace.tui.screens.check_formula import CheckScreen
from bptrace.tui.screens.matrix_view import MatrixScreen

SIZES = [(80, 24), (100, 30)]


@pytest.mark.parametrize("size", SIZES)
async def test_check_a_backward_step_in_place(size: tuple[int, int]) -> None:
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        main(app).index = 13  # ∂loss/∂w5
        await pilot.pause()
        await pilot.press("k")
        screen = app.screen
        assert isinstance(screen, CheckScreen) and screen.node == "w5"
        box = screen.query_one("#check-input")
        assert getattr(box, "value") == ""  # noqa: B009 - starts empty
        await pilot.press(*"(o1-t1)*o1*(1-o1)", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.text.startswith("✗ wrong: ∂loss/∂w5")
        assert "the factor ∂l3/∂w5 = h1 is missing" in screen.text
        assert screen.query_one("#check-scroll").max_scroll_x == 0
        await pilot.press(*"*h1", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.text.startswith("✓ right: ∂loss/∂w5")
        await pilot.press("ctrl+a", *"__import__('os')", "enter")
        await pilot.pause()
        assert screen.text.startswith("✗ not allowed")
        await pilot.press("escape")
        assert not isinstance(app.screen, CheckScreen)


async def test_check_refuses_a_forward_step() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("k")
        assert not isinstance(app.screen, CheckScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_matrix_view(size: tuple[int, int]) -> None:
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        main(app).index = 13
        await pilot.pause()
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, MatrixScreen)
        assert "∂loss/∂W2[0,0] = ∂loss/∂w5 = 0.082167  ✓" in screen.text
        await pilot.pause()
        assert screen.query_one("#matrix-box").max_scroll_x == 0
        await pilot.press("escape")
        assert not isinstance(app.screen, MatrixScreen)
