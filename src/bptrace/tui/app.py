"""The bptrace app: the network as a tree, a step pane, a drawing; step through backprop.

The trace is made in a thread worker (torch is imported there, never at module level), so
the first frame appears at once and says it is loading. ``bptrace view`` passes a Trace read
from JSON and never imports torch at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer

from bptrace.model.edit import edit_spec, editable
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt_value
from bptrace.model.spec import CLASSIC_TEXT, Spec, parse_spec_text, read_spec
from bptrace.tui.screens.edit_value import EditValueScreen
from bptrace.tui.screens.export_path import ExportPathScreen
from bptrace.tui.screens.help import HelpScreen
from bptrace.tui.widgets.info_bar import InfoBar
from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree
from bptrace.tui.widgets.step_pane import StepPane

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

READ_ONLY = "editing is disabled in `bptrace view`: a JSON file holds numbers, not a model to retrace (open a spec with `bptrace --spec FILE` to edit)"
TREE_KEYS = [
    ("↑ / ↓", "move in the tree (jumps to the step that computes the node)"),
    ("space", "open / close a group in the tree"),
    ("tab", "move focus between panes"),
]


class BptraceApp(App[None]):
    """Step forward and backward through one trace; edit a value and retrace."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "bptrace"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,n", "step(1)", "Next", tooltip="next step", key_display="→", id="next"),
        Binding("left,p", "step(-1)", "Prev", tooltip="previous step", key_display="←", id="prev"),
        Binding("home", "go(0)", "First", show=False, id="first"),
        Binding("end", "go(-1)", "Last", show=False, id="last"),
        Binding("f", "phase('forward')", "Fwd", tooltip="first forward step", id="forward"),
        Binding("b", "phase('backward')", "Bwd", tooltip="first backward step", id="backward"),
        Binding("u", "phase('update')", "Upd", tooltip="first update step", id="update"),
        Binding(
            "e",
            "edit",
            "Edit",
            tooltip="edit the selected value (also Enter in the tree)",
            id="edit",
        ),
        Binding("x", "export", "Export", tooltip="export the trace as JSON", id="export"),
        Binding(
            "ctrl+s",
            "save_svg",
            "SVG",
            tooltip="save an SVG screenshot",
            show=False,
            id="screenshot",
        ),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]
    trace: var[Trace | None] = var(None, always_update=True)
    """The trace on screen; None while it is being made."""
    index: var[int] = var(0)
    """The current step."""

    @dataclass
    class TraceReady(Message):
        """A worker finished tracing ``spec``."""

        trace: Trace
        spec: Spec | None

    @dataclass
    class TraceFailed(Message):
        """A worker could not trace: ``error`` says why."""

        error: str

    def __init__(
        self,
        spec: Spec | None = None,
        trace: Trace | None = None,
        title: str = "",
        example: str | None = None,
    ) -> None:
        super().__init__()
        self.spec, self.initial, self.example = spec, trace, example
        self.read_only = trace is not None
        self.source = title or (spec.name if spec else example or "trace")

    def compose(self) -> ComposeResult:
        yield InfoBar(self.source, id="info")
        with Horizontal(id="main"):
            yield NetworkTree(id="tree")
            with Vertical(id="right"):
                yield StepPane(id="step")
                yield NetworkDrawing(id="drawing")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        if self.initial is not None:
            self.trace = self.initial
        elif self.spec is not None:
            self.query_one(StepPane).show_message(
                "loading… (importing torch and tracing the network)"
            )
            self.call_after_refresh(self.retrace, self.spec)  # torch only after the first frame

    @work(thread=True, exclusive=True, group="trace")
    def retrace(self, spec: Spec) -> None:
        """Trace ``spec`` with torch in a thread; post the result back."""
        from bptrace.tracer.api import trace_spec

        try:
            self.post_message(self.TraceReady(trace_spec(spec), spec))
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))

    @on(TraceReady)
    def trace_ready(self, message: TraceReady) -> None:
        self.spec = message.spec
        self.trace = message.trace

    @on(TraceFailed)
    def trace_failed(self, message: TraceFailed) -> None:
        self.notify(message.error, title="could not trace", severity="error")
        if self.trace is None:
            self.query_one(StepPane).show_message(f"✗ {message.error}")

    def watch_trace(self, tr: Trace | None) -> None:
        if tr is None:
            return
        index = max(0, min(self.index, len(tr.steps) - 1))
        self.query_one(NetworkTree).load(tr, index)
        self.set_reactive(BptraceApp.index, index)  # no watcher: shown just below
        self.show()

    def watch_index(self) -> None:
        self.show()

    def show(self) -> None:
        """Bring every view to the current step."""
        tr, tree = self.trace, self.query_one(NetworkTree)
        if tr is None or tree.trace is not tr:  # not loaded into the tree yet
            return
        step = tr.steps[self.index]
        self.query_one(InfoBar).show_step(tr, step, "read-only" if self.read_only else "")
        tree.show_step(self.index, step.node)
        self.query_one(StepPane).show_step(step, len(tr.steps), tr.steps.rtol)
        self.query_one(NetworkDrawing).show_step(tr, step, tree.reveals)

    # -- actions ----------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        if self.trace is not None:
            self.index = max(0, min(self.index + delta, len(self.trace.steps) - 1))

    def action_go(self, where: int) -> None:
        if self.trace is not None:
            self.index = where % len(self.trace.steps)

    def action_phase(self, phase: str) -> None:
        start = None if self.trace is None else self.trace.steps.phase_start(phase)
        if start is None:
            self.notify(f"this trace has no {phase} phase", severity="warning")
        else:
            self.index = start

    @on(NetworkTree.NodeChosen)
    def jump_to(self, event: NetworkTree.NodeChosen) -> None:
        tr = self.trace
        if tr is None or event.name not in tr or tr.steps[self.index].node == event.name:
            return
        steps, phase = tr.steps, tr.steps[self.index].phase
        found = [steps.index_of(event.name, p) for p in (phase, "backward", None)]
        index = next((i for i in found if i is not None), None)
        if index is not None:
            self.index = index

    @on(NetworkTree.EditRequested)
    def edit_requested(self, event: NetworkTree.EditRequested) -> None:
        self.edit(event.name)

    def action_edit(self) -> None:
        self.edit(self.query_one(NetworkTree).current_name())

    def edit(self, name: str | None) -> None:
        tr, spec = self.trace, self.spec
        if self.read_only:
            self.notify(READ_ONLY, title="read-only", severity="warning")
        elif tr is None:
            self.notify("the trace is still loading", severity="warning")
        elif spec is None:
            self.notify(
                f"the example {self.example} is a torch module, not a spec: editing needs a spec "
                "(try `bptrace` or `bptrace --spec FILE`)",
                severity="warning",
            )
        elif name is None or not editable(tr, name):
            self.notify(
                f"{name or 'this'} is not editable: choose an input, target, weight, bias or lr in the tree",
                severity="warning",
            )
        else:
            self.open_editor(tr, spec, name)

    def open_editor(self, tr: Trace, spec: Spec, name: str) -> None:
        """Ask for a new value of ``name``; on Enter, retrace with it in a worker."""
        now = fmt_value(tr.network.lr or 0.0) if name == "lr" else fmt_value(tr[name].value)

        def check(value: float) -> None:
            edit_spec(spec, tr, name, value)  # raises BptraceError with the reason

        def retrace_with(value: float | None) -> None:
            if value is not None:
                self.notify(f"retracing with {name} = {value:g}…")
                self.retrace(edit_spec(spec, tr, name, value))

        self.push_screen(EditValueScreen(name, now, check), retrace_with)

    def action_export(self) -> None:
        tr = self.trace
        if tr is None:
            self.notify("the trace is still loading", severity="warning")
            return

        def write(path: Path | None) -> None:
            from bptrace.model.jsonio import dumps, write_atomic

            if path is not None:
                try:
                    write_atomic(path, dumps(tr))
                except (BptraceError, OSError) as exc:
                    self.notify(str(exc), title="export failed", severity="error")
                else:
                    self.notify(f"wrote {path}", title="exported")

        self.push_screen(ExportPathScreen("bptrace-trace.json"), write)

    def action_save_svg(self) -> None:
        self.notify(f"saved {self.save_screenshot()}", title="screenshot")

    def action_help(self) -> None:
        keys = [
            (b.key.replace("question_mark", "?").replace(",", " / "), b.tooltip or b.description)
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        self.push_screen(HelpScreen(keys + TREE_KEYS))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
        yield from super().get_system_commands(screen)
        for b in self.BINDINGS:
            if isinstance(b, Binding) and b.action != "quit":
                yield SystemCommand(
                    b.tooltip or b.description,
                    f"key: {b.key}",
                    lambda a=b.action: self.run_action(a),
                )


def run(
    spec_path: str | None = None,
    trace: Trace | None = None,
    title: str | None = None,
    example: str | None = None,
) -> int:
    """Open the app on a spec file (or the classic network), or read-only on a loaded trace."""
    if trace is not None:
        app = BptraceApp(trace=trace, title=f"view {title}" if title else "view")
    elif example is not None and example != "classic":
        app = BptraceApp(example=example, title=f"example {example}")
    else:
        spec = read_spec(spec_path) if spec_path else parse_spec_text(CLASSIC_TEXT, "classic")
        app = BptraceApp(spec=spec, title=spec_path or "")
    app.run()
    return 0
