"""The main screen's other doors: activations/loss choices, examples, lessons, training."""

from __future__ import annotations

from conftest import classic_app, header, main, pane, ready
from textual.widgets import RadioSet

from bptrace.tui.app import BptraceApp


async def test_choosing_tanh_changes_the_hidden_derivative() -> None:
    app = classic_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        assert type(app.screen).__name__ == "ChoicesScreen"
        hidden = app.screen.query_one("#choice-hidden", RadioSet)
        hidden.focus()
        await pilot.pause()
        await pilot.press("down", "enter")  # sigmoid → tanh
        assert "tanh" in str(hidden.pressed_button.label) if hidden.pressed_button else False
        await pilot.press("tab", "tab", "tab", "tab", "enter")  # output, loss, biases, Apply
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        tr = main(app).trace
        assert tr is not None and tr.network.activations[0].name == "tanh"
        main(app).index = tr.steps.index_of("l1", "backward") or 0
        await pilot.pause()
        assert "1 − h1²" in pane(app)
        assert "✓ autograd" in pane(app)


async def test_double_softmax_is_warned_in_the_choices() -> None:
    app = classic_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("c")
        loss = app.screen.query_one("#choice-loss", RadioSet)
        output = app.screen.query_one("#choice-output", RadioSet)
        output.focus()
        await pilot.press("down", "down", "down", "down", "enter")  # sigmoid → softmax
        loss.focus()
        await pilot.press("down", "down", "down", "down", "enter")  # mse → cross_entropy
        await pilot.pause()
        text = str(app.screen.query_one("#choice-warnings").render())
        assert "double softmax" in text


async def test_an_example_opens_from_the_app_and_is_read_only() -> None:
    app = classic_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("o")
        assert type(app.screen).__name__ == "ExamplesScreen"
        await pilot.press("down", "enter")  # classic → seed-functional
        for _ in range(500):
            if "seed-functional" in header(app) and "step 1 /" in header(app):
                break
            await pilot.pause(0.02)
        assert "seed-functional" in header(app)
        await pilot.press(*["n"] * 13)
        assert "= 0.082167" in pane(app), "the seed's functional form traces to the classic numbers"
        await pilot.press("e")
        assert any("torch module, not a spec" in str(n.message) for n in app._notifications)


async def test_lessons_open_and_close() -> None:
    app = classic_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for key, name in (
            ("a", "ActivationsScreen"),
            ("l", "LossesScreen"),
            ("g", "ChainGraphScreen"),
        ):
            await pilot.press(key)
            assert type(app.screen).__name__ == name
            await pilot.press("escape")
            assert app.screen is main(app)


async def test_example_from_the_command_line() -> None:
    app = BptraceApp(example="seed-sequential")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert "seed-sequential" in header(app)
        tr = main(app).trace
        assert tr is not None and tr["w5"].grad == 0.08216704056423077


async def test_the_chain_graph_example_opens_its_lesson() -> None:
    app = BptraceApp(example="chain-graph")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for _ in range(100):
            if type(app.screen).__name__ == "ChainGraphScreen":
                break
            await pilot.pause(0.02)
        assert type(app.screen).__name__ == "ChainGraphScreen"
        await pilot.press("escape")
        assert app.screen is main(app) and "classic" in header(app)


async def test_training_trains_the_network_on_screen() -> None:
    from textual.widgets import Input

    from bptrace.model.spec import parse_spec_text

    spec = parse_spec_text(
        'name = "tiny"\nlayers = [2, 3, 1]\nactivation = "tanh"\noutput_activation = "identity"\n'
        "lr = 0.1\ninputs = [0.5, -1.0]\ntargets = [0.25]\nseed = 3\n",
        "tiny",
    )
    app = BptraceApp(spec=spec)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        loss_now = main(app).trace.loss  # type: ignore[union-attr]
        await pilot.press("t")
        assert type(app.screen).__name__ == "TrainingScreen"
        assert "tiny" in str(app.screen.query_one("#train-title").render())
        app.screen.query_one("#train-n", Input).value = "5"
        await pilot.press("r")
        for _ in range(500):
            if getattr(app.screen, "curve", None) is not None:
                break
            await pilot.pause(0.02)
        curve = app.screen.curve  # type: ignore[attr-defined]
        assert curve is not None and len(curve.loss) == 6
        assert curve.loss[0] == loss_now, "epoch 0 is the network on the main screen"
        assert curve.lr == 0.1
