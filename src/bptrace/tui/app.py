"""The bptrace app: opens a trace on its main screen and holds the app-wide keys.

The trace is made in a thread worker (torch is imported there, never at module level), so
the first frame appears at once and says it is loading. ``bptrace view`` passes a Trace read
from JSON and never imports torch at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from bptrace.model.catalog import LESSON_EXAMPLES
from bptrace.model.errors import BptraceError
from bptrace.model.spec import Spec, read_spec
from bptrace.tui.keys import TREE_KEYS, key_rows, palette_commands
from bptrace.tui.screens.examples import ExamplesScreen
from bptrace.tui.screens.help import HelpScreen
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.source import Source

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

READ_ONLY = "editing is disabled in `bptrace view`: a JSON file holds numbers, not a model to retrace (open a spec with `bptrace --spec FILE` to edit)"
LESSONS = {
    "activations": "ActivationsScreen",
    "losses": "LossesScreen",
    "chain": "ChainGraphScreen",
}


class BptraceApp(App[None]):
    """Trace a network (in a worker) and show it; lessons, examples and help on keys."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "bptrace"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "lesson('activations')",
            "Acts",
            tooltip="activation functions and their derivatives",
        ),
        Binding("l", "lesson('losses')", "Losses", tooltip="loss functions on worked examples"),
        Binding("t", "training", "Train", tooltip="train N SGD steps, open the trace at any epoch"),
        Binding(
            "g",
            "lesson('chain')",
            "Graph",
            tooltip="the chain rule on the seed's tiny grad_fn graph",
        ),
        Binding("o", "examples", "Examples", tooltip="open a built-in example"),
        Binding(
            "v",
            "neurons",
            "Neurons",
            tooltip="per-neuron view of the model's Linear head (from the module view)",
        ),
        Binding(
            "m",
            "modules",
            "Modules",
            tooltip="per-module view: shapes, statistics, gradient health",
        ),
        Binding("ctrl+s", "save_svg", "SVG", tooltip="save an SVG screenshot", show=False),
        Binding("question_mark", "help", "Help", tooltip="every key", id="help"),
        Binding("q", "quit", "Quit", tooltip="quit", id="quit"),
    ]

    @dataclass
    class TraceReady(Message):
        """A worker traced ``spec`` (None for a ready trace or an example)."""

        trace: Any
        spec: Spec | None

    @dataclass
    class TraceFailed(Message):
        error: str

    def __init__(
        self,
        spec: Spec | None = None,
        trace: Any = None,
        title: str = "",
        example: str | None = None,
        read_only: str = READ_ONLY,
        model_ref: tuple[str, str | None, float | None] | None = None,
    ):
        super().__init__()
        if trace is not None:
            self.source = Source(
                title or "view", trace=trace, read_only=read_only, model_ref=model_ref
            )
        elif example in LESSON_EXAMPLES:  # a lesson screen, over the classic network
            self.source = Source.classic()
            self.call_later(self.action_lesson, "chain")
        elif example is not None:
            self.source = Source.of_example(example)
        else:
            self.source = (
                Source(title or (spec.name if spec else ""), spec=spec)
                if spec
                else Source.classic()
            )

    def get_default_screen(self) -> Screen[Any]:
        return TraceScreen(self.source.title, self.source.spec, self.source.read_only)

    @property
    def main(self) -> TraceScreen:
        """The main screen, at the bottom of the stack."""
        screen = self.screen_stack[0]
        assert isinstance(screen, TraceScreen)
        return screen

    def on_mount(self) -> None:
        self.open(self.source, first=True)

    def open(self, source: Source, first: bool = False) -> None:
        """Show ``source``; trace it in a worker after the first frame."""
        while len(self.screen_stack) > 1:  # close lessons, dialogs, a module view
            self.pop_screen()
        if source.example in LESSON_EXAMPLES:  # a lesson screen, over the classic network
            self.call_after_refresh(self.action_lesson, "chain")
            source = Source.classic()
        self.source = source
        if not first:
            self.main.reset(source.title, source.spec, source.read_only)
        if source.trace is not None:
            self.call_after_refresh(self.post_message, self.TraceReady(source.trace, None))
        else:
            self.call_after_refresh(
                self.main.show_loading, "loading… (importing torch and tracing)"
            )
            self.call_after_refresh(self.load, source)

    @work(thread=True, exclusive=True, group="trace")
    def load(self, source: Source) -> None:
        """Trace ``source`` with torch in a thread; post the result back."""
        try:
            self.post_message(self.TraceReady(source.load(), source.spec))
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))

    @work(thread=True, exclusive=True, group="modules")
    def load_modules(self, source: Source) -> None:
        """Trace ``source`` per module (torch, in a thread) and open the module screen."""
        try:
            tr = source.load_modules()
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))
        else:
            self.call_from_thread(self.show_modules, tr, back=True)

    def show_modules(self, tr: Any, back: bool) -> None:
        from bptrace.tui.screens.modules import ModuleTraceScreen

        self.push_screen(ModuleTraceScreen(tr, self.source.title, back=back))

    def action_modules(self) -> None:
        self.notify("tracing per module…")
        self.load_modules(self.source)

    @work(thread=True, exclusive=True, group="head")
    def action_neurons(self) -> None:
        """The per-neuron view of the model's Linear head (torch, in a thread)."""
        try:
            tr = self.source.load_head()
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))
        else:
            why = "the head of a larger model is shown read-only"
            self.call_from_thread(self.show_trace, tr, tr.network.name or "head", why)

    @on(TraceScreen.RetraceRequested)
    def retrace(self, event: TraceScreen.RetraceRequested) -> None:
        self.notify(f"retracing with {event.why}…")
        self.load(Source(self.source.title, spec=event.spec))

    @on(TraceReady)
    def trace_ready(self, message: TraceReady) -> None:
        from bptrace.model.trace import Trace

        if not isinstance(message.trace, Trace):
            self.show_modules(message.trace, back=False)
            return
        self.main.spec = message.spec or self.main.spec
        self.main.trace = message.trace
        from bptrace.model.health import check

        flags = check(message.trace)
        if flags:
            lines = "\n".join(f.line() for f in flags[:4]) + ("\n…" if len(flags) > 4 else "")
            self.notify(f"{lines}\npress m for the module view", title="gradient health", timeout=8)

    @on(TraceFailed)
    def trace_failed(self, message: TraceFailed) -> None:
        self.notify(message.error, title="could not trace", severity="error")
        if self.main.trace is None:
            self.main.show_loading(f"✗ {message.error}")

    # -- app-wide actions --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lessons, examples and the module view open from the main views only."""
        top = type(self.screen).__name__
        if action == "modules":
            return top == "TraceScreen"
        if action == "neurons":
            return top == "ModuleTraceScreen"
        if action in ("lesson", "training", "examples"):
            return top in ("TraceScreen", "ModuleTraceScreen")
        return True

    def action_lesson(self, name: str) -> None:
        import importlib

        module = importlib.import_module(
            f"bptrace.tui.screens.{'chain_graph' if name == 'chain' else name}"
        )
        self.push_screen(getattr(module, LESSONS[name])())

    def action_training(self) -> None:
        from bptrace.tui.screens.training import TrainingScreen

        spec = self.main.spec  # the network on screen, as edited (None for a torch example)
        lr = spec.lr if spec else 0.5
        self.push_screen(TrainingScreen(lr=lr, open_trace=self.open_epoch, spec=spec))

    def open_epoch(self, tr: Trace) -> None:
        """Show a trace made on the training screen in the full step-by-step view."""
        self.show_trace(tr, "training", "a trace from the training screen is read-only")

    def show_trace(self, tr: Trace, title: str, read_only: str) -> None:
        """Push a read-only step-by-step view of ``tr`` (escape goes back)."""
        screen = TraceScreen(title, read_only=read_only)
        self.push_screen(screen)
        self.call_after_refresh(setattr, screen, "trace", tr)

    def action_examples(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.open(Source.of_example(name))

        self.push_screen(ExamplesScreen(), chosen)

    def action_save_svg(self) -> None:
        self.notify(f"saved {self.save_screenshot()}", title="screenshot")

    def action_help(self) -> None:
        bindings = [*self.screen_stack[-1].BINDINGS, *self.BINDINGS]
        self.push_screen(HelpScreen(key_rows(bindings) + TREE_KEYS))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from palette_commands(self, screen)


def run(
    spec_path: str | None = None,
    trace: Any = None,
    title: str | None = None,
    example: str | None = None,
    read_only: str = READ_ONLY,
    model_ref: tuple[str, str | None, float | None] | None = None,
) -> int:
    """Open the app on a spec file (or the classic network), an example, or a ready trace."""
    spec = read_spec(spec_path) if spec_path else None
    title = title or spec_path or ""
    BptraceApp(
        spec=spec,
        trace=trace,
        title=title,
        example=example,
        read_only=read_only,
        model_ref=model_ref,
    ).run()
    return 0
