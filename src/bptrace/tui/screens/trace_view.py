"""The main view of an MLP trace: the network as a tree, the step pane and the drawing.

The screen steps forward and backward through ``trace.steps`` and keeps the three views on
the same step. Editing a number or changing activations/loss produces a new Spec, which the
screen hands to the app (:class:`TraceScreen.RetraceRequested`) to trace in a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static

from bptrace.i18n import N_, _
from bptrace.model.describe import phase_name
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value
from bptrace.model.spec import Spec
from bptrace.tui.practice_keys import PRACTICE_KEYS, PracticeKeys
from bptrace.tui.screens.edit_value import EditValueScreen
from bptrace.tui.screens.export_path import ExportPathScreen
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.info_bar import InfoBar
from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree
from bptrace.tui.widgets.step_pane import StepPane

if TYPE_CHECKING:  # these pull in numpy: imported when first needed, not for the first frame
    from bptrace.model.choices import Choices
    from bptrace.model.trace import Trace


class TraceScreen(PracticeKeys, Screen[None]):
    """Step through one MLP trace; edit a value or the activations/loss and retrace."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "right,n", "step(1)", N_("Next"), tooltip=N_("next step"), key_display="→", id="next"
        ),
        Binding(
            "left,p",
            "step(-1)",
            N_("Prev"),
            tooltip=N_("previous step"),
            key_display="←",
            id="prev",
        ),
        Binding("home", "go(0)", N_("First"), show=False, tooltip=N_("first step"), id="first"),
        Binding("end", "go(-1)", N_("Last"), show=False, tooltip=N_("last step"), id="last"),
        Binding("f", "phase('forward')", N_("Fwd"), tooltip=N_("first forward step"), id="forward"),
        Binding(
            "b", "phase('backward')", N_("Bwd"), tooltip=N_("first backward step"), id="backward"
        ),
        Binding("u", "phase('update')", N_("Upd"), tooltip=N_("first update step"), id="update"),
        Binding(
            "e", "edit", N_("Edit"), tooltip=N_("edit the selected value (also Enter in the tree)")
        ),
        Binding(
            "c", "choices", N_("Choose"), tooltip=N_("change activations, loss and biases; retrace")
        ),
        Binding("e,c", "read_only", "", show=False),  # in a read-only view: says why not
        Binding(
            "x",
            "export",
            N_("Export"),
            show=False,
            tooltip=N_("export the trace as JSON"),
            id="export",
        ),
        Binding("escape", "back", N_("Back"), tooltip=N_("back to the previous screen")),
        *PRACTICE_KEYS,
    ]
    trace: var[Trace | None] = var(None, always_update=True)
    """The trace on screen; None while it is being made."""
    index: var[int] = var(0)
    """The current step."""
    classroom: var[str] = var("")
    """In a served class: following or leading the teacher (shown in the info bar)."""

    @dataclass
    class RetraceRequested(Message):
        """Trace ``spec`` (an edited version of the one on screen) and show it here."""

        spec: Spec
        why: str

    @dataclass
    class StepShown(Message):
        """The views show step ``index`` of ``trace`` (the classroom follows it)."""

        trace: object
        index: int
        main: bool

    def __init__(self, title: str, spec: Spec | None = None, read_only: str | None = None):
        super().__init__()
        self.source_title, self.spec, self.read_only = title, spec, read_only
        self._was = 0  # the step shown before (which way the person is going)

    def compose(self) -> ComposeResult:
        yield InfoBar(self.source_title, id="info")
        yield Static("", id="warnings")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield NetworkTree(id="tree")
                yield Static("", id="tree-note")
            with Vertical(id="right"):
                yield from self.compose_step()
                yield NetworkDrawing(id="drawing")
        yield Footer(compact=True, show_command_palette=False)  # ctrl+p is listed under ?

    def compose_step(self) -> ComposeResult:
        """What stands above the drawing: the step pane (the quiz puts its own there)."""
        yield StepPane(id="step")

    def on_resize(self) -> None:
        self.call_after_refresh(self.query_one(NetworkDrawing).refit)

    def show_loading(self, text: str) -> None:
        self.query_one(StepPane).show_message(text)

    def reset(self, title: str, spec: Spec | None, read_only: str | None) -> None:
        """Wait for another trace (a new source): say it is loading."""
        self.source_title, self.spec, self.read_only = title, spec, read_only
        self.set_reactive(TraceScreen.index, 0)
        self.query_one(InfoBar).title = title
        self.query_one(InfoBar).show_message(_("loading…"))
        self.show_loading(_("loading… (importing torch and tracing the network)"))

    def watch_trace(self, tr: Trace | None) -> None:
        if tr is None:
            return
        from bptrace.model.lesson import pairing_warnings

        net = tr.network
        self.show_warnings(pairing_warnings(net.activations[-1].name, net.loss.name))
        index = max(0, min(self.index, len(tr.steps) - 1))
        self.query_one(NetworkTree).load(tr, index)
        self.set_reactive(TraceScreen.index, index)  # no watcher: shown just below
        self.show()

    def watch_index(self) -> None:
        self.show()

    def watch_classroom(self) -> None:
        self.show()

    def show(self) -> None:
        """Bring every view to the current step."""
        tr, tree = self.trace, self.query_one(NetworkTree)
        if tr is None or tree.trace is not tr:  # not loaded into the tree yet
            return
        step = tr.steps[self.index]
        note = " · ".join(
            n for n in (_("read-only") if self.read_only else "", self.classroom) if n
        )
        self.query_one(InfoBar).show_step(tr, step, note)
        tree.show_step(self.index, step.node)
        self.query_one(StepPane).show_step(step, len(tr.steps), tr.steps.rtol)
        self.query_one(NetworkDrawing).show_step(tr, step, tree.reveals)
        self.post_message(self.StepShown(tr, self.index, self.app.screen_stack[0] is self))
        self.call_after_refresh(self.prepare, tr, self.index)

    def prepare(self, tr: Trace, index: int) -> None:
        """Once step ``index`` is on screen, render the next one (the way the person went
        last) and the first and last (Home, End) ahead, so such a key only paints."""
        if tr is not self.trace or index != self.index:
            return  # moved on since
        ahead = index + (-1 if index < self._was else 1)
        self._was = index
        for i in dict.fromkeys((ahead, len(tr.steps) - 1, 0)):
            if 0 <= i < len(tr.steps) and i != index:
                step = tr.steps[i]
                self.query_one(StepPane).prepare(step, len(tr.steps), tr.steps.rtol)
                self.query_one(NetworkDrawing).prepare(tr, step)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Back only from a view pushed over another (an epoch, a model's head); no editing
        (and no Edit/Choose in the footer) in a read-only view."""
        if action in ("edit", "choices"):
            return not self.read_only
        if action == "read_only":
            return bool(self.read_only)
        return action != "back" or self.app.screen_stack[0] is not self

    def action_read_only(self) -> None:
        self.editable_now()  # says why editing is not possible

    def still_loading(self) -> bool:
        """True (after saying so) while the trace is still being made."""
        if self.trace is None:
            self.notify(_("the trace is still loading…"), severity="warning")
        return self.trace is None

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- moving -----------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        if not self.still_loading() and self.trace is not None:
            self.index = max(0, min(self.index + delta, len(self.trace.steps) - 1))

    def action_go(self, where: int) -> None:
        if not self.still_loading() and self.trace is not None:
            self.index = where % len(self.trace.steps)

    def action_phase(self, phase: str) -> None:
        if self.still_loading() or self.trace is None:
            return
        start = self.trace.steps.phase_start(phase)
        if start is None:
            self.notify(
                _("this trace has no {phase} phase").format(phase=phase_name(phase)),
                severity="warning",
            )
        else:
            self.index = start

    @on(NetworkTree.Shortened)
    def tree_shortened(self, event: NetworkTree.Shortened) -> None:
        """Say under the tree when its numbers are rounded, or updates left out."""
        note = self.query_one("#tree-note", Static)
        parts = (
            []
            if event.digits is None
            else [_("numbers to {digits} significant digits").format(digits=event.digits)]
        )
        if not event.updates:
            parts.append(_("new values: see the update steps"))
        note.update(" · ".join(parts))
        note.display = bool(parts)

    def show_warnings(self, warnings: list[str]) -> None:
        """Keep the pairing warnings of the network on screen (a line under the header)."""
        line = self.query_one("#warnings", Static)
        heads = [w[: min(w.find(c) % (len(w) + 1) for c in ":;")] for w in warnings]
        line.update(
            "\n".join(
                " ⚠ " + _("{warning} (c: the whole warning)").format(warning=h) for h in heads
            )
        )
        line.display = bool(warnings)

    @on(NetworkTree.NodeChosen)
    def jump_to(self, event: NetworkTree.NodeChosen) -> None:
        self.jump(event.name)

    def on_mount(self) -> None:
        self.query_one(NetworkTree).on_chosen = self.jump

    def jump(self, name: str) -> None:
        """Go to the step that computes ``name`` (in this phase if it can)."""
        tr = self.trace
        if tr is None or name not in tr or tr.steps[self.index].node == name:
            return
        steps, phase = tr.steps, tr.steps[self.index].phase
        found = [steps.index_of(name, p) for p in (phase, "backward", None)]
        self.index = next((i for i in found if i is not None), self.index)

    # -- changing the network ---------------------------------------------------------------
    def editable_now(self) -> tuple[Trace, Spec] | None:
        """The trace and spec to edit, or None after saying why editing is not possible."""
        if self.read_only:
            # no markup: with --model it names the user's file, whose path may hold brackets
            self.notify(self.read_only, title=_("read-only"), severity="warning", markup=False)
        elif self.trace is None or self.spec is None:
            self.notify(_("the trace is still loading…"), severity="warning")
        else:
            return self.trace, self.spec
        return None

    @on(NetworkTree.EditRequested)
    def edit_requested(self, event: NetworkTree.EditRequested) -> None:
        self.edit(event.name)

    def action_edit(self) -> None:
        self.edit(self.query_one(NetworkTree).current_name())

    def edit(self, name: str | None) -> None:
        from bptrace.model.edit import edit_spec, editable

        ready = self.editable_now()
        if ready is None:
            return
        tr, spec = ready
        if name is None or not editable(tr, name):
            self.notify(
                _(
                    "{name} is not editable: choose an input, target, weight, bias or lr in the tree"
                ).format(name=name or "?"),
                severity="warning",
            )
            return
        now = fmt_value(tr.network.lr or 0.0) if name == "lr" else fmt_value(tr[name].value)

        def retrace_with(value: float | None) -> None:
            if value is not None:
                self.post_message(
                    self.RetraceRequested(edit_spec(spec, tr, name, value), f"{name} = {value:g}")
                )

        def check(value: float) -> None:
            edit_spec(spec, tr, name, value)  # raises BptraceError with the reason

        self.app.push_screen(EditValueScreen(name, now, check), retrace_with)

    def action_choices(self) -> None:
        from bptrace.model.choices import Choices, with_choices
        from bptrace.tui.screens.choices import ChoicesScreen

        ready = self.editable_now()
        if ready is None:
            return
        tr, spec = ready

        def retrace_with(choices: Choices | None) -> None:
            if choices is not None:
                try:
                    new = with_choices(spec, tr, choices)
                except BptraceError as exc:
                    self.notify(
                        str(exc),
                        title=_("cannot use these choices"),
                        severity="error",
                        markup=False,
                    )
                else:
                    self.post_message(
                        self.RetraceRequested(
                            new,
                            f"{choices.hidden} / {choices.output} / {choices.loss} / "
                            + (_("biases trained") if choices.train_biases else _("biases frozen")),
                        )
                    )

        self.app.push_screen(ChoicesScreen(Choices.of(spec)), retrace_with)

    def action_export(self) -> None:
        from bptrace.tui.classroom import served_why

        tr = self.trace
        if served_why():
            self.notify(str(served_why()), title=_("export is off"), severity="warning")
        elif tr is None:
            self.notify(_("the trace is still loading…"), severity="warning")
        if served_why() or tr is None:
            return

        def write(path: Path | None) -> None:
            from bptrace.model.jsonio import dumps, write_atomic

            if path is not None:
                try:
                    write_atomic(path, dumps(tr))
                except (BptraceError, OSError) as exc:
                    self.notify(str(exc), title=_("export failed"), severity="error", markup=False)
                else:
                    self.notify(
                        _("wrote {path}").format(path=path), title=_("exported"), markup=False
                    )

        self.app.push_screen(ExportPathScreen("bptrace-trace.json"), write)
