"""The lesson screens mounted on a tiny App of their own, driven by keys at 80x24: the seed's
numbers must appear on screen; plus one SVG snapshot per screen."""

from __future__ import annotations

import io
from typing import Any

import pytest
import torch
from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from bptrace.tui.screens.activations import ActivationsScreen
from bptrace.tui.screens.chain_graph import ChainGraphScreen
from bptrace.tui.screens.epoch_trace import EpochTraceScreen
from bptrace.tui.screens.losses import LossesScreen
from bptrace.tui.screens.training import TrainingScreen
from bptrace.tui.widgets.epoch_scrubber import EpochScrubber
from bptrace.tui.widgets.softmax_panel import SoftmaxPanel

SIZE = (80, 24)


class LessonApp(App[None]):
    """Nothing but the screen under test, pushed on mount."""

    def __init__(self, screen: Screen[None]) -> None:
        super().__init__()
        self._lesson = screen

    def on_mount(self) -> None:
        self.push_screen(self._lesson)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for every worker (torch) and for the screen to catch up."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app: App[Any]) -> str:
    """The characters on the terminal, each run of blanks (and line ends) as one space."""
    strips = app.screen._compositor.render_strips()
    return " ".join(" ".join(strip.text for strip in strips).split())


def widget_text(widget: Static) -> str:
    """A Static's whole content (also the part scrolled out of view), blanks collapsed."""
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(widget.content)
    return " ".join(console.export_text().split())


def classic_losses(epochs: int, train_biases: bool) -> list[float]:
    """The classic network trained with plain torch, written out here independently."""
    dt = torch.float64
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=dt, requires_grad=True)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=dt, requires_grad=True)
    b1 = torch.tensor([0.35, 0.35], dtype=dt, requires_grad=train_biases)
    b2 = torch.tensor([0.60, 0.60], dtype=dt, requires_grad=train_biases)
    x = torch.tensor([0.05, 0.10], dtype=dt)
    t = torch.tensor([0.01, 0.99], dtype=dt)
    params = [p for p in (w1, b1, w2, b2) if p.requires_grad]
    losses = []
    for _ in range(epochs + 1):
        o = torch.sigmoid(torch.sigmoid(x @ w1.T + b1) @ w2.T + b2)
        loss = ((o - t) ** 2).mean()
        losses.append(float(loss.detach()))
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g in zip(params, grads, strict=True):
                p -= 0.5 * g
    return losses


# -- activations ----------------------------------------------------------------------------


async def test_activations_screen_sigmoid_then_leaky_slope_then_softmax() -> None:
    app = LessonApp(ActivationsScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "σ'(x) = σ(x)(1 − σ(x))" in text
        assert "sigmoid on linspace(−10, 10, 100)" in text
        assert "max |diff| 0.0e+00 on 100 points ✓ agree" in text
        await pilot.press("down")
        await settle(pilot)
        assert "tanh'(x) = 1 − tanh(x)²" in screen_text(app)
        assert "✓ agree" in screen_text(app)
        await pilot.press("s")  # jumps to leaky_relu and edits its slope
        await pilot.press(*"0.3", "enter")
        await settle(pilot)
        text = screen_text(app)
        assert "leaky_relu on linspace" in text
        assert "(a = 0.3)" in text
        assert "✓ agree" in text
        await pilot.press("down")  # softmax
        await settle(pilot)
        panel = widget_text(app.screen.query_one(SoftmaxPanel))
        assert "softmax 0.005895 0.1184 0.0007978 0.8749" in panel  # of [−1, 2, −3, 4]
        assert "Σy = 1" in panel
        assert "∂Σy/∂x 0 0 0 0 bwd y4 −0.005158" in panel  # backpropagating y.sum(): all zero
        assert "adds up to exactly 1" in panel
        assert "✓ agree" in panel
        await pilot.press("j")  # the second sample
        await settle(pilot)
        assert "0.9975" in widget_text(app.screen.query_one(SoftmaxPanel))


# -- losses ---------------------------------------------------------------------------------


async def test_losses_screen_seed_numbers_and_e4() -> None:
    app = LessonApp(LossesScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "loss = 0.8333333" in text
        assert "−0.333333" in text  # ∂loss/∂ŷ3 = 2(2 − 2.5)/3
        expected = {"l1": "0.6666667", "smooth_l1": "0.3750000", "bce": "0.9608012"}
        for name, value in expected.items():
            await pilot.press("down")
            await settle(pilot)
            assert f"loss = {value}" in screen_text(app), name
        assert "✓ a good pairing" in screen_text(app)  # bce after sigmoid
        await pilot.press("o")  # tanh in front of bce
        await pilot.pause()
        assert "use a sigmoid output" in screen_text(app)
        await pilot.press("down")  # cross_entropy, targets [1, 2]
        await settle(pilot)
        assert "loss = 1.2465588" in screen_text(app)
        await pilot.press("c")  # targets [0, 1]: the seed's code, seed mistake E4
        await settle(pilot)
        assert "loss = 0.8965588" in screen_text(app)
        for _ in range(5):  # identity → sigmoid → ... → softmax
            await pilot.press("o")
        await pilot.pause()
        assert "double softmax" in screen_text(app)


async def test_losses_screen_editing() -> None:
    app = LessonApp(LossesScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", *"[3.0, 5.0, 3.5]", "enter")
        await settle(pilot)
        assert "loss = 0.3333333" in screen_text(app)  # (0 + 0 + 1)/3
        await pilot.press("e", *"[1, 2", "enter")
        await settle(pilot)
        assert "loss = 0.3333333" in screen_text(app)  # refused: the table stays
        assert any("predictions" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, LossesScreen)


# -- training -------------------------------------------------------------------------------


async def test_training_screen_frozen_then_trained_and_scrub() -> None:
    frozen = classic_losses(300, False)
    trained = classic_losses(300, True)
    app = LessonApp(TrainingScreen(epochs=300, train_biases=False))  # Mazur's setting first
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        await settle(pilot)
        text = screen_text(app)
        assert "after 300 steps" in text
        assert repr(frozen[-1]) in text
        assert "biases frozen" in text
        await pilot.press("home")
        await pilot.pause()
        assert f"epoch 0: loss {0.2983711087600027!r}" in screen_text(app)
        await pilot.press("right")
        await pilot.pause()
        assert f"epoch 1: loss {0.29102777369359933!r}" in screen_text(app)
        assert app.screen.query_one(EpochScrubber).epoch == 1
        await pilot.press("enter")  # the full trace at epoch 1
        await settle(pilot)
        assert isinstance(app.screen, EpochTraceScreen)
        assert app.screen.trace.loss == pytest.approx(0.29102777369359933, rel=1e-12)
        assert app.screen.trace["w5"].value == pytest.approx(0.35891647971788465, rel=1e-12)
        assert "epoch 1" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TrainingScreen)
        await pilot.press("b", "r")
        await settle(pilot)
        text = screen_text(app)
        assert "biases trained" in text
        assert repr(trained[-1]) in text
        assert trained[-1] != frozen[-1]


async def test_training_screen_reaches_the_seed_figures() -> None:
    """The full 10,000 steps, frozen then trained biases, to relative 1e-6."""
    app = LessonApp(TrainingScreen(epochs=10_000))
    async with app.run_test(size=SIZE) as pilot:
        figures = {}
        for key in ("r", "b"):
            if key == "b":
                await pilot.press("b", "r")
            else:
                await pilot.press("r")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, TrainingScreen) and screen.curve is not None
            figures[screen.curve.train_biases] = screen.curve.final
            assert repr(screen.curve.final) in screen_text(app)
    assert figures[False] == pytest.approx(3.510187782978859e-05, rel=1e-6)
    assert figures[True] == pytest.approx(2.4475622359322627e-06, rel=1e-6)


async def test_training_screen_cancel_and_bad_input() -> None:
    app = LessonApp(TrainingScreen(epochs=1_000_000))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("r")
        for _ in range(500):  # on a loaded machine the thread can take a while to start
            if any(w.group == "train" and w.is_running for w in app.workers):
                break
            await pilot.pause(0.01)
        await pilot.pause(0.3)
        await pilot.press("c")
        await settle(pilot)
        for _ in range(1000):  # a cancelled worker is marked at once; its thread stops later
            if "training cancelled after" in screen_text(app):
                break
            await pilot.pause(0.01)
        text = screen_text(app)
        assert "training cancelled after" in text
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and screen.curve is None
        await pilot.press("l", "ctrl+u", *"-1", "enter")
        await settle(pilot)
        assert any("lr" in str(n.message) for n in app._notifications)


# -- the tiny chain-rule graph --------------------------------------------------------------


async def test_chain_graph_screen_walks_backward() -> None:
    app = LessonApp(ChainGraphScreen())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "fc1 = 0.50" in text and "fc2 = 2" in text
        assert "▶ AddBackward0" in text
        await pilot.press("right", "right", "right")
        text = screen_text(app)
        assert "▶ ReciprocalBackward0" in text
        # fc1's gradient, 2, reached the node that made fc1; −1/d² = −0.25 at d = 2
        assert (
            "∂fc2/∂d = ∂fc2/∂r · ∂r/∂d = 2 × (−1/d² = −0.25) =  −0.50"
            in " ".join(text.split()).replace("= −0.50", "=  −0.50")
            or "(−1/d² = −0.25)" in text
        )
        await pilot.press("end")
        text = screen_text(app)
        assert "w.grad = 0.50" in text
        assert "b.grad = −0.50" in text
        assert "fc1.grad = 2" in text
        assert "b enters with a minus sign" in text
        await pilot.press("left")
        assert "▶ AccumulateGrad" in screen_text(app)


# -- snapshots ------------------------------------------------------------------------------


def _snap(press: tuple[str, ...] = ()) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in press:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_snapshot_activations(snap_compare: Any) -> None:
    assert snap_compare(LessonApp(ActivationsScreen()), terminal_size=SIZE, run_before=_snap())


def test_snapshot_losses(snap_compare: Any) -> None:
    app = LessonApp(LossesScreen())
    press = ("down",) * 4
    assert snap_compare(app, terminal_size=SIZE, run_before=_snap(press))


def test_snapshot_training(snap_compare: Any) -> None:
    app = LessonApp(TrainingScreen(epochs=2000))
    assert snap_compare(app, terminal_size=SIZE, run_before=_snap(("r", "pageup", "pageup")))


def test_snapshot_chain_graph(snap_compare: Any) -> None:
    app = LessonApp(ChainGraphScreen())
    assert snap_compare(app, terminal_size=SIZE, run_before=_snap(("right",) * 3))
