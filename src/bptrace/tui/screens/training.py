"""The training lesson: N SGD steps of the classic network (N and lr editable, biases trained
or frozen), with a progress bar, cancellable, the loss curve, and a scrubber that opens the
full step-by-step trace of the network at any epoch.

Training runs in a thread worker that imports torch through :mod:`bptrace.tracer.lesson`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Label, ProgressBar, Static
from textual.worker import get_current_worker

from bptrace.i18n import N_, _
from bptrace.model.edit import parse_number
from bptrace.model.errors import BptraceError, Cancelled
from bptrace.model.lesson import TrainingCurve
from bptrace.model.spec import Spec
from bptrace.model.trace import Trace
from bptrace.tui.screens.epoch_trace import EpochTraceScreen
from bptrace.tui.widgets.curve_plot import Curve, CurvePlot
from bptrace.tui.widgets.epoch_scrubber import EpochScrubber
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.marked_toggles import MarkedCheckbox

MAX_EPOCHS = 1_000_000


class TrainingScreen(Screen[None]):
    """Train the classic 2-2-2 network with plain SGD and look at any epoch.

    ``open_trace`` is called with the trace at the picked epoch; by default the trace's steps
    are shown on an :class:`EpochTraceScreen`. The main app may pass its own (e.g. to show
    the trace in its tree and step pane).
    """

    DEFAULT_CSS = """
    TrainingScreen #train-title { height: 1; background: $primary-darken-3; color: $text; padding: 0 1; }
    TrainingScreen #train-form { height: 1; padding: 0 1; }
    TrainingScreen #train-form Label { width: auto; }
    TrainingScreen #train-n { width: 9; }
    TrainingScreen #train-lr { width: 7; margin-right: 2; }
    TrainingScreen #train-biases { width: auto; height: 1; border: none; padding: 0; }
    TrainingScreen #train-progress { height: 1; padding: 0 1; }
    TrainingScreen #train-plot { height: 1fr; }
    TrainingScreen #train-status { height: auto; padding: 0 1; }
    TrainingScreen #train-scrub { margin: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "app.pop_screen", N_("Back"), tooltip=N_("back (stops a running training)")
        ),
        Binding("r", "run", N_("Run"), tooltip=N_("train N steps with the lr shown")),
        Binding("c", "cancel", N_("Cancel"), tooltip=N_("stop the running training")),
        Binding("b", "toggle_biases", N_("Biases"), tooltip=N_("trained ↔ frozen biases")),
        Binding("n", "edit_field('#train-n')", "N", tooltip=N_("edit the number of steps N")),
        Binding("l", "edit_field('#train-lr')", "lr", tooltip=N_("edit the learning rate")),
        Binding(
            "s", "edit_field('#train-scrub')", N_("Scrub"), tooltip=N_("pick an epoch with ←/→")
        ),
        Binding(
            "enter,t", "open_trace", N_("Trace"), tooltip=N_("the full trace at the picked epoch")
        ),
    ]

    curve: var[TrainingCurve | None] = var(None)
    """The last finished training run."""

    def __init__(
        self,
        epochs: int = 10_000,
        lr: float = 0.5,
        train_biases: bool = True,
        open_trace: Callable[[Trace], None] | None = None,
        spec: Spec | None = None,
    ) -> None:
        super().__init__()
        self._epochs, self._lr, self._biases = epochs, lr, train_biases
        self._open_trace = open_trace
        self._spec = spec  # the network to train (default: the classic one)

    def compose(self) -> ComposeResult:
        name = self._spec.name if self._spec else "classic 2-2-2"
        title = _("Training: plain SGD on the {name} network").format(name=name)
        yield Static(Content(title), id="train-title")  # a spec's name: no markup
        with Horizontal(id="train-form"):
            yield Label("N ")
            yield Input(str(self._epochs), id="train-n", compact=True, restrict=r"[0-9_]*")
            yield Label(" lr ")
            yield Input(str(self._lr), id="train-lr", compact=True)
            yield MarkedCheckbox(_("train biases"), self._biases, id="train-biases", compact=True)
        with Vertical(id="train-progress"):
            yield ProgressBar(show_eta=False, id="train-bar")
        yield CurvePlot(id="train-plot")
        yield EpochScrubber(id="train-scrub")
        yield Static(_("r: run"), id="train-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#train-scrub").focus()

    # -- running ---------------------------------------------------------------------------
    def action_run(self) -> None:
        try:
            epochs = int(parse_number(self.query_one("#train-n", Input).value.replace("_", "")))
            lr = parse_number(self.query_one("#train-lr", Input).value)
            if not 1 <= epochs <= MAX_EPOCHS:
                raise BptraceError(
                    _("N: must be between 1 and {max}, got {n}").format(
                        max=f"{MAX_EPOCHS:,}", n=epochs
                    )
                )
        except BptraceError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        biases = self.query_one("#train-biases", Checkbox).value
        self.query_one("#train-bar", ProgressBar).update(total=epochs, progress=0)
        self._status(
            _("training {epochs} steps, lr {lr}, biases {biases}…").format(
                epochs=f"{epochs:,}", lr=f"{lr:g}", biases=_biases(biases)
            )
        )
        self._train(epochs, lr, biases)

    @work(thread=True, exclusive=True, group="train")
    def _train(self, epochs: int, lr: float, biases: bool) -> None:
        from bptrace.tracer.lesson import lesson_spec, train_curve

        worker = get_current_worker()

        def progress(done: int, total: int) -> bool:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._progress, done)
            return worker.is_cancelled

        try:
            curve = train_curve(lesson_spec(biases, lr, self._spec), epochs, progress)
        except Cancelled as exc:
            if not worker.is_cancelled or self.is_attached:
                self.app.call_from_thread(self._status, f"{exc}")
            return
        except BptraceError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        self.app.call_from_thread(self._finished, curve)

    def _progress(self, done: int) -> None:
        self.query_one("#train-bar", ProgressBar).update(progress=done)

    def _finished(self, curve: TrainingCurve) -> None:
        self.query_one("#train-bar", ProgressBar).update(total=curve.epochs, progress=curve.epochs)
        self.curve = curve
        scrub = self.query_one(EpochScrubber)
        scrub.total = curve.epochs
        scrub.epoch = curve.epochs
        self._draw()

    def action_cancel(self) -> None:
        running = [w for w in self.workers if w.group == "train" and w.is_running]
        for w in running:
            w.cancel()
        if not running:
            self.notify(_("nothing is running"))

    def action_toggle_biases(self) -> None:
        box = self.query_one("#train-biases", Checkbox)
        box.value = not box.value

    def action_edit_field(self, selector: str) -> None:
        self.query_one(selector).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_run()
        self.query_one("#train-scrub").focus()

    # -- looking at an epoch ---------------------------------------------------------------
    @on(EpochScrubber.Changed)
    def _scrubbed(self) -> None:
        self._draw()

    def _draw(self) -> None:
        curve = self.curve
        if curve is None:
            return
        epoch = self.query_one(EpochScrubber).epoch
        self.query_one(CurvePlot).show(
            [Curve("loss", range(len(curve.loss)), curve.loss, "cyan")],
            _("loss (log10) — biases {biases}, lr {lr}").format(
                biases=_biases(curve.train_biases), lr=f"{curve.lr:g}"
            ),
            log_y=True,
            marker=epoch,
            xlabel=_("epoch"),
        )
        self._status(
            Text.assemble(
                (_("epoch "), "bold"),
                f"{epoch:,}: ",
                (_("loss "), "bold"),
                (repr(curve.loss[epoch]), "green"),
                _("\nfinal loss after {epochs} steps: ").format(epochs=f"{curve.epochs:,}"),
                (repr(curve.final), "bold green"),
            )
        )

    def _status(self, text: str | Text) -> None:
        plain = Content(text) if isinstance(text, str) else text  # a str is never markup
        self.query_one("#train-status", Static).update(plain)

    def action_open_trace(self) -> None:
        curve = self.curve
        if curve is None:
            self.notify(_("run the training first (r)"))
            return
        epoch = self.query_one(EpochScrubber).epoch
        self._status(_("tracing the network at epoch {epoch}…").format(epoch=f"{epoch:,}"))
        self._trace(curve.lr, curve.train_biases, epoch)

    @work(thread=True, exclusive=True, group="trace")
    def _trace(self, lr: float, biases: bool, epoch: int) -> None:
        from bptrace.tracer.lesson import lesson_spec, trace_at_epoch

        tr = trace_at_epoch(lesson_spec(biases, lr, self._spec), epoch)
        self.app.call_from_thread(self._show_trace, tr)

    def _show_trace(self, tr: Trace) -> None:
        self._draw()
        if self._open_trace is not None:
            self._open_trace(tr)
        else:
            self.app.push_screen(EpochTraceScreen(tr))


def _biases(trained: bool) -> str:
    return _("trained") if trained else _("frozen")
