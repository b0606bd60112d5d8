"""The same defaults everywhere and no jargon: biases agree between the main screen and the
training screen, Mazur's frozen biases are one choice away and the header says which is on,
toggles read without colour, no user text says "seed", a read-only view offers no editing,
ctrl+s works in dialogs, and a pairing warning stays on the main screen after Apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import classic_app, header, main, ready
from fit_helpers import footer_keys
from textual.widgets import Checkbox, RadioSet

from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.trace_view import TraceScreen


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def test_biases_agree_and_frozen_is_one_choice_away() -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        assert "biases trained" in header(app)
        await pilot.press("t")
        await settle(pilot)
        box = app.screen.query_one("#train-biases", Checkbox)
        assert box.value is True, "the training screen trains the biases, as the main screen"
        assert "[✓]" in str(box.render())
        await pilot.press("escape")
        await pilot.press("c")
        biases = app.screen.query_one("#choice-biases", Checkbox)
        assert "[✓]" in str(biases.render())
        biases.value = False
        await pilot.pause()
        assert "[ ]" in str(biases.render())  # the state reads without colour
        app.screen.query_one("#apply").press()
        await settle(pilot)
        assert "biases frozen" in header(app)
        tr = main(app).trace
        assert tr is not None and tr["b1"].trainable is False
        assert tr.steps.index_of("b1", "update") is None  # a frozen bias is not updated
        assert tr["w5"].updated == pytest.approx(0.35891647971788465, rel=1e-12)
        await pilot.press("t")
        await settle(pilot)
        assert app.screen.query_one("#train-biases", Checkbox).value is False


async def test_radio_buttons_read_without_colour() -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        hidden = app.screen.query_one("#choice-hidden", RadioSet)
        marks = [str(b.render()).split(")")[0] for b in hidden.query("MarkedRadioButton")]
        assert marks == ["(●", "( ", "( ", "( ", "( "]


async def test_a_pairing_warning_stays_after_apply() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert not app.screen.query_one("#warnings").display
        await pilot.press("c")
        app.screen.query_one("#choice-output", RadioSet).focus()
        await pilot.press("down", "down", "down", "down", "enter")  # sigmoid → softmax
        app.screen.query_one("#choice-loss", RadioSet).focus()
        await pilot.press("down", "down", "down", "down", "enter")  # mse → cross_entropy
        await pilot.pause()
        dialog = app.screen.query_one("#dialog")
        assert dialog.max_scroll_x == 0
        assert "double softmax" in str(app.screen.query_one("#choice-warnings").render())
        app.screen.query_one("#apply").press()
        await settle(pilot)
        assert isinstance(app.screen, TraceScreen)
        warnings = app.screen.query_one("#warnings")
        assert warnings.display and "double softmax" in str(warnings.render())


async def test_ctrl_s_in_a_dialog_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        assert type(app.screen).__name__ == "ChoicesScreen"
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = [n.message for n in app._notifications if n.message.startswith("saved ")]
        assert len(saved) == 1
        path = Path(saved[0].removeprefix("saved "))
        assert path.exists() and path.suffix == ".svg" and path.parent == tmp_path
        assert type(app.screen).__name__ == "ChoicesScreen"


async def test_view_footer_is_read_only(tmp_path: Path) -> None:
    from bptrace.model.jsonio import dumps, load_trace

    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        tr = main(app).trace
        assert tr is not None
        (tmp_path / "t.json").write_text(dumps(tr))
        assert {"e", "c"} <= footer_keys(app)
    view = BptraceApp(trace=load_trace(tmp_path / "t.json"), title="t.json")
    async with view.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        keys = footer_keys(view)
        assert "e" not in keys and "c" not in keys
        assert {"question_mark", "q", "n", "p"} <= keys
        await pilot.press("e")  # still says why
        assert any("read-only" in (n.title or "") for n in view._notifications)


@pytest.mark.parametrize("keys", [[], ["question_mark"], ["a"], ["l"], ["g"], ["t"]])
async def test_no_user_text_says_seed(keys: list[str]) -> None:
    app = classic_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press(*keys)
        await settle(pilot)
        text = app.export_screenshot()
        assert "seed" not in text.lower()
