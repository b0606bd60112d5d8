"""Driving the app by keys on the classic network: counter, tree cursor, step pane, labels."""

from __future__ import annotations

from conftest import classic_app, cursor, header, main, pane, ready, tree_label

from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree


async def test_first_step_after_loading() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert "forward · step 1 / 43" in header(app)
        assert cursor(app) == "l1"
        assert "l1 = w1·i1 + w2·i2 + b1" in pane(app)
        assert "= 0.15 × 0.05 + 0.20 × 0.10 + 0.35" in pane(app)
        assert "= 0.3775" in pane(app)


async def test_next_thirteen_times_reaches_w5_gradient() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["right"] * 7, *["n"] * 6)
        assert main(app).index == 13
        assert "backward · step 14 / 43" in header(app)
        assert cursor(app) == "w5"
        text = pane(app)
        assert "∂loss/∂w5 = ∂loss/∂o1 · ∂o1/∂l3 · ∂l3/∂w5" in text
        assert "= 0.741365 × 0.186816 × 0.593270" in text
        assert "= 0.082167" in text
        assert "✓ autograd 0.08216704056423077 agrees" in text
        await pilot.press("left", "p")
        assert main(app).index == 11 and cursor(app) == "l3"


async def test_home_end_and_phase_keys() -> None:
    app = classic_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        await pilot.press("end")
        assert "update · step 43 / 43" in header(app) and cursor(app) == "b4"
        await pilot.press("home")
        assert main(app).index == 0
        await pilot.press("b")
        assert "backward · step 10 / 43" in header(app) and cursor(app) == "o1"
        await pilot.press("u")
        assert "update · step 32 / 43" in header(app) and cursor(app) == "w1"
        await pilot.press("f")
        assert main(app).index == 0
        await pilot.press("p")  # stays at the first step
        assert main(app).index == 0


async def test_update_of_w1() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("u")
        text = pane(app)
        assert "w1 ← w1 − lr·∂loss/∂w1" in text
        assert "= 0.15 − 0.5 × 0.000438568" in text
        assert "= 0.149781" in text
        # at 80 columns the tree rounds to 3 significant digits, but an updated value keeps
        # the digits that show it changed (0.1498, not 0.150)
        assert tree_label(app, "w1") == "w1 = 0.15 ∂ 4.39e−4 →0.1498"
        assert app.query_one("#tree-note").visual is not None


async def test_choosing_h1_in_the_tree_shows_its_two_paths() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("b")
        tree = app.query_one(NetworkTree)
        tree.focus()
        # move the cursor down from o1 to h1 the way a person would: by keys
        await pilot.press("up")
        while cursor(app) != "h1":
            await pilot.press("up")
        await pilot.pause()
        assert main(app).index == 19, "choosing h1 in the backward phase jumps to its gradient step"
        text = pane(app)
        assert "∂loss/∂h1 = ∂loss/∂l3 · ∂l3/∂h1 + ∂loss/∂l4 · ∂l4/∂h1" in text
        assert "= 0.138499 × 0.40 + (−0.0380982) × 0.50" in text
        assert "via l3: 0.0553994" in text
        assert "via l4: −0.0190491" in text
        assert "= 0.0363503" in text


async def test_gradient_labels_wait_for_the_backward_step() -> None:
    app = classic_app()
    async with app.run_test(size=(120, 36)) as pilot:  # wide enough for every digit
        await ready(pilot)
        assert tree_label(app, "w5") == "w5 = 0.40 ∂ not yet computed"
        assert tree_label(app, "o1") == "o1 = not yet computed"
        await pilot.press(*["n"] * 12)  # index 12: ∂loss/∂l4, the step just before w5
        assert "not yet computed" in tree_label(app, "w5")
        assert "0.082167" not in tree_label(app, "w5")
        await pilot.press("n")
        assert tree_label(app, "w5") == "w5 = 0.40 ∂ 0.082167"
        assert tree_label(app, "o1") == "o1 = 0.751365 ∂ 0.741365"
        await pilot.press("p")  # going back hides it again
        assert "not yet computed" in tree_label(app, "w5")


async def test_drawing_highlights_the_current_edge() -> None:
    app = classic_app()
    async with app.run_test(size=(200, 60)) as pilot:
        await ready(pilot)
        drawing = app.query_one(NetworkDrawing)
        assert drawing.hot == ({"i1", "i2", "h1"}, {"w1", "w2"})  # l1 = w1·i1 + w2·i2 + b1
        assert "▶ forward" in drawing.text
        await pilot.press(*["n"] * 13)
        assert drawing.hot == ({"h1", "o1"}, {"w5"})
        assert "◀ backward" in drawing.text
        await pilot.press(*["n"] * 6)  # ∂loss/∂h1 flows back along w5 and w7
        assert drawing.hot == ({"h1", "o1", "o2"}, {"w5", "w7"})


async def test_help_lists_every_key() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        screen = app.screen
        assert type(screen).__name__ == "HelpScreen"
        listed = {key for key, _ in screen.keys}  # type: ignore[attr-defined]
        for key in (
            "right / n",
            "left / p",
            "home",
            "end",
            "f",
            "b",
            "u",
            "e",
            "x",
            "ctrl+s",
            "?",
            "q",
        ):
            assert key in listed
        await pilot.press("escape")
        assert type(app.screen).__name__ != "HelpScreen"
