"""The losses lesson: mse, l1, smooth_l1, bce and cross_entropy on the seed's worked examples
(editable), with every element's share of the loss and ∂loss/∂prediction from torch, and a
warning when the output activation in front of the loss does not suit it.

Numbers come from :mod:`bptrace.tracer.lesson` in a thread worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from bptrace.i18n import N_, _
from bptrace.model.edit import parse_number
from bptrace.model.errors import BptraceError
from bptrace.model.lesson import (
    LESSON_LOSSES,
    LOSS_EXAMPLES,
    LOSS_FORMULAS,
    OUTPUT_ACTIVATIONS,
    PAIRS,
    LossDemo,
    pairing_warnings,
    parse_numbers,
)
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.loss_table import LossTable

DEFAULT_OUTPUT = {
    "mse": "identity",
    "l1": "identity",
    "smooth_l1": "identity",
    "bce": "sigmoid",
    "cross_entropy": "identity",
}


class LossesScreen(Screen[None]):
    """Pick a loss on the left; edit predictions, targets (and beta) on the right."""

    DEFAULT_CSS = """
    LossesScreen #loss-title { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    LossesScreen #loss-list { width: 17; height: 1fr; }
    LossesScreen #loss-body { width: 1fr; height: 1fr; padding: 0 1; }
    LossesScreen .field { height: 1; }
    LossesScreen .field Label { width: 9; }
    LossesScreen .field Input { width: 1fr; }
    LossesScreen #loss-formula { height: auto; }
    LossesScreen #loss-pairing { height: auto; margin-top: 1; }
    LossesScreen .hidden { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), tooltip=N_("back to the previous screen")),
        Binding("e", "edit", N_("Edit"), tooltip=N_("edit the predictions (tab: targets, beta)")),
        Binding(
            "o", "next_output", N_("Output act"), tooltip=N_("cycle the output activation in front")
        ),
        Binding("r", "reset", N_("Reset"), tooltip=N_("back to the course's worked example")),
        Binding(
            "c", "swap_classes", N_("Targets"), tooltip=N_("cross_entropy: targets [1, 2] ↔ [0, 1]")
        ),
    ]

    loss: var[str] = var("mse")
    """The loss on show."""
    output_activation: var[str] = var("identity")
    """The output activation assumed in front of the loss (for the pairing warnings)."""

    def compose(self) -> ComposeResult:
        yield Static(_("Loss functions on worked examples"), id="loss-title")
        with Horizontal():
            yield OptionList(*[Option(n, id=n) for n in LESSON_LOSSES], id="loss-list")
            with VerticalScroll(id="loss-body"):
                yield Static(id="loss-formula")
                with Horizontal(classes="field"):
                    yield Label("ŷ / z  = ")
                    yield Input(id="loss-pred", compact=True)
                with Horizontal(classes="field"):
                    yield Label(_("target = "))
                    yield Input(id="loss-target", compact=True)
                with Horizontal(classes="field hidden", id="loss-beta-row"):
                    yield Label("beta   = ")
                    yield Input("1.0", id="loss-beta", compact=True)
                yield LossTable(id="loss-table")
                yield Static(id="loss-pairing")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#loss-list", OptionList).highlighted = 0
        self.query_one("#loss-list").focus()
        self._load_example()

    @on(OptionList.OptionHighlighted, "#loss-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None and event.option.id != self.loss:
            self.loss = event.option.id

    def watch_loss(self, loss: str) -> None:
        if self.is_mounted:
            self.output_activation = DEFAULT_OUTPUT[loss]
            self._load_example()

    def watch_output_activation(self) -> None:
        if self.is_mounted:
            self._show_pairing()

    def _load_example(self) -> None:
        pred, target = LOSS_EXAMPLES[self.loss]
        self.query_one("#loss-pred", Input).value = pred
        self.query_one("#loss-target", Input).value = target
        self.query_one("#loss-beta-row").set_class(self.loss != "smooth_l1", "hidden")
        self.query_one("#loss-formula", Static).update(
            Text.assemble(
                LOSS_FORMULAS[self.loss], (_("\npairs with: "), "bold"), _(PAIRS[self.loss])
            )
        )
        self._show_pairing()
        self._recompute()

    def _show_pairing(self) -> None:
        warnings = pairing_warnings(self.output_activation, self.loss)
        text = Text.assemble((_("output activation in front: "), "bold"), self.output_activation)
        text.append(_("  (o: change)") + "\n")
        if warnings:
            for w in warnings:
                text.append(f"⚠ {w}\n", style="bold yellow")
        else:
            text.append(_("✓ a good pairing"), style="green")
        self.query_one("#loss-pairing", Static).update(text)

    def _recompute(self) -> None:
        try:
            pred = parse_numbers(self.query_one("#loss-pred", Input).value, _("predictions"))
            target = parse_numbers(self.query_one("#loss-target", Input).value, _("targets"))
            beta = parse_number(self.query_one("#loss-beta", Input).value)
        except BptraceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._compute(self.loss, pred, target, beta)

    @work(thread=True, exclusive=True)
    def _compute(self, loss: str, pred: Any, target: Any, beta: float) -> None:
        from bptrace.tracer.lesson import loss_demo

        try:
            demo = loss_demo(loss, pred, target, beta)
        except BptraceError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._show, demo)

    def _show(self, demo: LossDemo) -> None:
        if demo.name == self.loss:
            self.query_one(LossTable).show(demo)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self._recompute()

    def action_edit(self) -> None:
        self.query_one("#loss-pred", Input).focus()

    def action_next_output(self) -> None:
        i = OUTPUT_ACTIVATIONS.index(self.output_activation)
        self.output_activation = OUTPUT_ACTIVATIONS[(i + 1) % len(OUTPUT_ACTIVATIONS)]

    def action_reset(self) -> None:
        self._load_example()

    def action_swap_classes(self) -> None:
        if self.loss != "cross_entropy":
            return
        box = self.query_one("#loss-target", Input)
        box.value = "[0, 1]" if box.value.replace(" ", "") == "[1,2]" else "[1, 2]"
        self._recompute()
