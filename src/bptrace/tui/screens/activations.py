"""The activations lesson: each function and its derivative plotted over [−10, 10], with its
formula, a note on where it is used and where it fails, and whether autograd agrees with our
formula; softmax gets its outputs, full Jacobian and the zero gradient of ``y.sum()``.

Numbers come from :mod:`bptrace.tracer.lesson` in a thread worker (torch is imported there,
never at this module's import).
"""

from __future__ import annotations

from typing import ClassVar

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
from bptrace.model.lesson import FORMULAS, LESSON_ACTIVATIONS, NOTES, ActivationCurve, SoftmaxDemo
from bptrace.tui.widgets.curve_plot import Curve, CurvePlot
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.softmax_panel import SoftmaxPanel


class ActivationsScreen(Screen[None]):
    """Pick an activation on the left; its curves, formulas and notes show on the right."""

    DEFAULT_CSS = """
    ActivationsScreen #act-title { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    ActivationsScreen #act-list { width: 14; height: 1fr; }
    ActivationsScreen #act-body { width: 1fr; height: 1fr; padding: 0 1; }
    ActivationsScreen #act-slope-row { height: 1; }
    ActivationsScreen #act-slope-row Label { width: auto; }
    ActivationsScreen #act-slope { width: 12; }
    ActivationsScreen #act-formula { height: auto; }
    ActivationsScreen #act-agree { height: auto; }
    ActivationsScreen #act-note { height: auto; margin-top: 1; color: $text-muted; }
    ActivationsScreen .hidden { display: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", N_("Back"), tooltip=N_("back to the previous screen")),
        Binding("s", "slope", N_("Slope"), tooltip=N_("edit leaky_relu's negative slope")),
        Binding("j", "next_sample", N_("Sample"), tooltip=N_("softmax: the other sample")),
        Binding(
            "k", "next_output", N_("Output k"), tooltip=N_("softmax: backpropagate the next output")
        ),
    ]

    activation: var[str] = var("sigmoid")
    """The activation on show."""
    slope: var[float] = var(0.1)
    """leaky_relu's negative slope (the seed uses 0.1)."""
    sample: var[int] = var(0)
    """softmax: which of the two samples is shown."""
    picked: var[int] = var(3)
    """softmax: the output backpropagated alone (0-based)."""

    def compose(self) -> ComposeResult:
        yield Static(_("Activation functions and their derivatives"), id="act-title")
        with Horizontal():
            yield OptionList(*[Option(n, id=n) for n in LESSON_ACTIVATIONS], id="act-list")
            with VerticalScroll(id="act-body"):
                yield CurvePlot(id="act-plot")
                yield SoftmaxPanel(id="act-softmax", classes="hidden")
                with Horizontal(id="act-slope-row", classes="hidden"):
                    yield Label("slope a = ")
                    yield Input(str(self.slope), id="act-slope", compact=True)
                yield Static(id="act-formula")
                yield Static(id="act-agree")
                yield Static(id="act-note")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#act-list", OptionList).highlighted = 0
        self.query_one("#act-list").focus()
        self._refresh()

    @on(OptionList.OptionHighlighted, "#act-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.activation = event.option.id

    def watch_activation(self) -> None:
        if self.is_mounted:
            self._refresh()

    def _refresh(self) -> None:
        name = self.activation
        softmax = name == "softmax"
        self.query_one("#act-plot").set_class(softmax, "hidden")
        self.query_one("#act-softmax").set_class(not softmax, "hidden")
        self.query_one("#act-slope-row").set_class(name != "leaky_relu", "hidden")
        function, derivative = FORMULAS[name]
        if name == "leaky_relu":
            function += f"   (a = {self.slope:g})"
        self.query_one("#act-formula", Static).update(
            Text.assemble(("f  ", "bold"), function, "\n", ("f' ", "bold"), derivative)
        )
        self.query_one("#act-note", Static).update(_(NOTES[name]))
        self.query_one("#act-agree", Static).update(_("computing with torch…"))
        if softmax:
            self._compute_softmax(self.picked)
        else:
            self._compute_curve(name, self.slope)

    @work(thread=True, exclusive=True, group="activation")
    def _compute_curve(self, name: str, slope: float) -> None:
        from bptrace.tracer.lesson import activation_curve

        curve = activation_curve(name, slope)
        self.app.call_from_thread(self._show_curve, curve)

    @work(thread=True, exclusive=True, group="activation")
    def _compute_softmax(self, picked: int) -> None:
        from bptrace.tracer.lesson import softmax_demo

        demo = softmax_demo(picked=picked)
        self.app.call_from_thread(self._show_softmax, demo)

    def _show_curve(self, curve: ActivationCurve) -> None:
        if curve.name != self.activation:
            return
        self.query_one(CurvePlot).show(
            [
                Curve(f"{curve.name}(x)", curve.x, curve.y, "cyan", "•"),
                Curve(_("derivative (autograd)"), curve.x, curve.grad, "orange", "+"),
            ],
            _("{name} on linspace(−10, 10, 100)").format(name=curve.name),
        )
        worst = curve.max_disagreement
        self.query_one("#act-agree", Static).update(
            Text.assemble(
                (_("autograd vs f' above: "), "bold"),
                (_("max |diff| {diff} on 100 points ").format(diff=f"{worst:.1e}"), ""),
                (_("✓ agree"), "green") if curve.agrees else (_("✗ disagree"), "red"),
            )
        )

    def _show_softmax(self, demo: SoftmaxDemo) -> None:
        if self.activation != "softmax":
            return
        self.query_one(SoftmaxPanel).show(demo, self.sample)
        self.query_one("#act-agree", Static).update(
            Text.assemble(
                (_("the course's scores "), "bold"),
                _("{scores}; the Jacobian comes from {function}").format(
                    scores="[[−1, 2, −3, 4], [−2, 3, −3, 9]]",
                    function="torch.autograd.functional.jacobian",
                ),
            )
        )

    @on(Input.Submitted, "#act-slope")
    def _slope_submitted(self, event: Input.Submitted) -> None:
        try:
            self.slope = parse_number(event.value)
        except BptraceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self._refresh()
        self.query_one("#act-list").focus()

    def action_slope(self) -> None:
        if self.activation != "leaky_relu":
            self.query_one("#act-list", OptionList).highlighted = LESSON_ACTIVATIONS.index(
                "leaky_relu"
            )
        self.query_one("#act-slope-row").remove_class("hidden")
        self.query_one("#act-slope", Input).focus()

    def action_next_sample(self) -> None:
        self.sample = 1 - self.sample
        if self.activation == "softmax":
            self._refresh()

    def action_next_output(self) -> None:
        self.picked = (self.picked + 1) % 4
        if self.activation == "softmax":
            self._refresh()
