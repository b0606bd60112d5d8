"""The main screen at the sizes people have (80×24 over SSH, 100×30 on a projector, 120×36),
in English and in Chinese: nothing needs horizontal scrolling, the drawing shows the step's neuron and both ends of its
edge, and the footer shows the help and quit keys."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import classic_app, main, ready
from fit_helpers import STEPS, drawing_text, footer_keys, scrolling

from bptrace.i18n import set_language
from bptrace.tui.widgets.network_drawing import NetworkDrawing

SIZES = [(80, 24), (100, 30), (120, 36)]


@pytest.fixture(params=["en", "zh"])
def lang(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each fit test in both languages (Chinese characters take two cells)."""
    set_language(request.param)
    yield request.param
    set_language("en")


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", list(STEPS))
async def test_fits(size: tuple[int, int], step: str, lang: str) -> None:
    keys, neuron, ends = STEPS[step]
    if lang == "zh":  # the legend's words, in Chinese: "↻ 更新 w5：0.40 → 新值 …"
        ends = tuple(end.replace("update", "更新") for end in ends)
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        assert scrolling(app) == []
        text = drawing_text(app)
        assert neuron in text, text
        for end in ends:
            assert end in text, text
        assert {"question_mark", "q"} <= footer_keys(app)
        assert {"n", "p", "b"} <= footer_keys(app)  # next, prev (→ ←), backward
        # no number of the tree is cut mid-way: each label is the whole label
        tree = app.screen.query_one("#tree")
        assert tree.max_scroll_x == 0


async def test_the_drawing_follows_the_update_step() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("u", *["n"] * 6)  # w5's update (after w1..w4, b1, b2)
        text = drawing_text(app)
        assert "↻ update w5: 0.40 → new value 0.358916" in text
        assert main(app).trace is not None
        assert app.screen.query_one(NetworkDrawing).hot == ({"h1", "o1"}, {"w5"})


async def test_keys_while_loading_say_so() -> None:
    """A main screen whose trace is not there yet (as while the worker traces) says so."""
    from bptrace.tui.screens.trace_view import TraceScreen

    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.push_screen(TraceScreen("waiting"))
        await pilot.pause()
        for key in ("b", "right", "end"):
            await pilot.press(key)
        messages = [n.message for n in app._notifications]
        assert messages.count("the trace is still loading…") >= 3
        assert not any("no backward phase" in m for m in messages)


async def test_step_pane_says_more_is_below_at_80x24() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 19)  # ∂loss/∂h1: two paths, four factor rows
        await pilot.pause()
        pane = app.screen.query_one("#step")
        assert pane.max_scroll_y > 0
        assert "more below" in str(pane.border_subtitle)
        pane.scroll_end(animate=False)
        await pilot.pause()
        await pilot.pause()
        assert "more below" not in str(pane.border_subtitle)
        assert "more above" in str(pane.border_subtitle)


async def test_tree_says_when_it_rounds() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        note = app.screen.query_one("#tree-note")
        assert note.display
        assert "numbers to 3 significant digits" in str(note.render())
    app = classic_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)
        assert not app.screen.query_one("#tree-note").display
