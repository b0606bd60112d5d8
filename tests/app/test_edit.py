"""Editing a value retraces the network in a worker; invalid text is refused in the modal."""

from __future__ import annotations

import torch
from conftest import classic_app, cursor, main, pane, ready
from textual.widgets import Input, Label

from bptrace.model.fmt import fmt
from bptrace.tui.app import BptraceApp
from bptrace.tui.widgets.network_tree import NetworkTree


def torch_w5_gradient(w5: float) -> float:
    """∂loss/∂w5 of the classic network with w5 replaced, straight from torch autograd."""
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64)
    w2 = torch.tensor([[w5, 0.45], [0.50, 0.55]], dtype=torch.float64, requires_grad=True)
    h = torch.sigmoid(w1 @ x + 0.35)
    o = torch.sigmoid(w2 @ h + 0.60)
    loss = torch.nn.functional.mse_loss(o, torch.tensor([0.01, 0.99], dtype=torch.float64))
    loss.backward()
    assert w2.grad is not None
    return float(w2.grad[0, 0])


def test_reference_helper_matches_the_notes() -> None:
    assert abs(torch_w5_gradient(0.40) - 0.08216704056423077) < 1e-15


async def type_into_modal(app: BptraceApp, pilot: object, text: str) -> None:
    box = app.screen.query_one(Input)
    box.value = ""
    await pilot.press(*text, "enter")  # type: ignore[attr-defined]


async def test_editing_w5_changes_its_gradient_to_torchs() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 13)
        assert cursor(app) == "w5" and "= 0.082167" in pane(app)
        await pilot.press("e")
        assert type(app.screen).__name__ == "EditValueScreen"
        await type_into_modal(app, pilot, "0.9")
        await ready(pilot)
        expected = torch_w5_gradient(0.9)
        assert main(app).trace is not None
        assert abs(float(main(app).trace["w5"].grad) - expected) <= 1e-12 * abs(expected)  # type: ignore[arg-type]
        assert main(app).index == 13, "the current step is kept"
        assert f"= {fmt(expected)}" in pane(app)
        assert "0.082167" not in pane(app)
        assert "✓ autograd" in pane(app)


async def test_enter_in_the_tree_opens_the_editor() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 13, "enter")
        assert type(app.screen).__name__ == "EditValueScreen"
        await pilot.press("escape")
        assert type(app.screen).__name__ != "EditValueScreen"


async def test_invalid_text_is_refused_with_a_message() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(*["n"] * 13, "e")
        await type_into_modal(app, pilot, "abc")
        assert type(app.screen).__name__ == "EditValueScreen", "the modal stays open"
        assert "not a number" in str(app.screen.query_one("#error", Label).content)
        await pilot.press("escape")
        assert main(app).trace is not None and main(app).trace["w5"].value == 0.40


async def test_a_value_the_spec_refuses_is_refused() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        app.query_one(NetworkTree).select_name("lr")  # the tree's last line
        await pilot.pause()
        assert cursor(app) == "lr"
        await pilot.press("e")
        await type_into_modal(app, pilot, "0")
        assert type(app.screen).__name__ == "EditValueScreen"
        assert "lr: must be > 0" in str(app.screen.query_one("#error", Label).content)


async def test_non_editable_nodes_say_so() -> None:
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("e")  # the cursor is on l1, a computed value
        assert type(app.screen).__name__ != "EditValueScreen"
        assert any("l1 is not editable" in n.message for n in app._notifications)
