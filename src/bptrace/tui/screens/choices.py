"""A modal to change the hidden activation, the output activation and the loss.

Three radio sets (Tab moves between them, arrows and Enter pick) and whether the biases are
trained; the pairing warnings of the current choice show live; Apply returns the
:class:`~bptrace.model.choices.Choices`. The dialog scrolls when the terminal is short, so
its whole text and warnings can always be read.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, RadioSet, Static

from bptrace.i18n import N_, _
from bptrace.model.choices import HIDDEN, Choices
from bptrace.model.network import ACTIVATIONS, LOSSES
from bptrace.tui.widgets.marked_toggles import MarkedCheckbox, MarkedRadioButton

GROUPS = (
    ("hidden", N_("hidden layers"), HIDDEN),
    ("output", N_("output layer"), ACTIVATIONS),
    ("loss", N_("loss"), LOSSES),
)


class ChoicesScreen(ModalScreen[Choices | None]):
    """Pick activations and loss; returns the choices, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, current: Choices) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):  # scrolls when the terminal is short
            yield Static(  # a Static wraps in a narrow dialog, where a Label is cut
                _("Change the network, then Apply (Tab moves, arrows + Enter pick, Esc cancels)")
            )
            with Horizontal(id="choice-sets"):
                for key, title, options in GROUPS:
                    with Vertical(classes="choice-group"):
                        yield Label(_(title), classes="choice-title")
                        with RadioSet(id=f"choice-{key}"):
                            for option in options:
                                yield MarkedRadioButton(
                                    option, value=option == getattr(self.current, key)
                                )
            yield MarkedCheckbox(
                _("train the biases (off: Mazur's setting, biases frozen)"),
                self.current.train_biases,
                id="choice-biases",
            )
            yield Static("", id="choice-warnings")
            yield Button(_("Apply and retrace"), id="apply", variant="primary")

    def on_mount(self) -> None:
        self.query_one(
            "#dialog"
        ).can_focus = False  # Tab goes to the choices, which scroll into view
        self.show_warnings()

    def chosen(self) -> Choices:
        picked = {}
        for key, _title, options in GROUPS:
            button = self.query_one(f"#choice-{key}", RadioSet).pressed_button
            picked[key] = str(button.label) if button is not None else getattr(self.current, key)
            assert picked[key] in options
        biases = self.query_one("#choice-biases", Checkbox).value
        return Choices(picked["hidden"], picked["output"], picked["loss"], biases)

    @on(RadioSet.Changed)
    def show_warnings(self) -> None:
        warnings = self.chosen().warnings()
        text = "\n".join(f"⚠ {w}" for w in warnings) if warnings else _("✓ these choices pair well")
        self.query_one("#choice-warnings", Static).update(text)

    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)
