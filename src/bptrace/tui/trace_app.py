"""The core of the app: a source traced in a worker and shown on the main screen.

The trace is made in a thread worker (torch is imported there, never at module level), so
the first frame appears at once and says it is loading. ``bptrace view`` passes the JSON
file's path: it is read in the same worker (so the loading screen shows at once, however big
the file), never importing torch; if it cannot be read, the app closes and
:attr:`TraceApp.failure` says why. :class:`bptrace.tui.app.BptraceApp` adds the keys
that open everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App
from textual.message import Message
from textual.screen import Screen

from bptrace.i18n import N_, _
from bptrace.model.catalog import LESSON_EXAMPLES
from bptrace.model.errors import BptraceError
from bptrace.model.spec import Spec
from bptrace.tui.colours import use_readable_colours
from bptrace.tui.heap import IdleCollector, settle
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.source import Source

READ_ONLY = N_(
    "editing is disabled in `bptrace view`: a JSON file holds numbers, not a model to retrace "
    "(open a spec with `bptrace --spec FILE` to edit)"
)
ModelRef = tuple[str, str | None, float | None]  # --model FILE.py:FUNCTION, --state, --lr


class TraceApp(App[None]):
    """Trace a source (in a worker) and show it on the main screen; retrace on request."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "bptrace"

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
        model_ref: ModelRef | None = None,
        path: str | None = None,
        quiz: bool = False,
    ):
        super().__init__()
        self.quiz = quiz  # `bptrace quiz`: every value hidden until the learner answers it
        use_readable_colours(self)
        self.failure: str | None = None
        """Why a file given to ``bptrace view`` could not be shown (the app then closes)."""
        read_only = _(read_only) if read_only else read_only  # the default's translation
        if path is not None:
            self.source = Source(
                title or _("view {path}").format(path=path), path=path, read_only=read_only
            )
        elif trace is not None:
            self.source = Source(
                title or _("view"), trace=trace, read_only=read_only, model_ref=model_ref
            )
        elif example in LESSON_EXAMPLES:  # a lesson screen, over the classic network
            self.source = Source.classic()
            self.call_later(self.run_action, "lesson('chain')")
        elif example is not None:
            self.source = Source.of_example(example)
        elif spec is not None:
            self.source = Source(title or spec.name, spec=spec)
        else:
            self.source = Source.classic()

    def get_default_screen(self) -> Screen[Any]:
        if self.quiz:
            from bptrace.tui.screens.quiz import QuizScreen

            return QuizScreen(self.source.title)
        return TraceScreen(self.source.title, self.source.spec, self.source.read_only)

    @property
    def main(self) -> TraceScreen:
        """The main screen, at the bottom of the stack."""
        screen = self.screen_stack[0]
        assert isinstance(screen, TraceScreen)
        return screen

    def on_mount(self) -> None:
        self.heap = IdleCollector(self)
        self.open(self.source, first=True)

    def on_unmount(self) -> None:
        self.heap.stop()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.heap.poke()
        await super().on_event(event)

    def open(self, source: Source, first: bool = False) -> None:
        """Show ``source``; trace it in a worker after the first frame."""
        while len(self.screen_stack) > 1:  # close lessons, dialogs, a module view
            self.pop_screen()
        if source.example in LESSON_EXAMPLES:  # a lesson screen, over the classic network
            self.call_after_refresh(self.run_action, "lesson('chain')")
            source = Source.classic()
        if not first:
            self.main.reset(source.title, source.spec, source.read_only)
        self.source = source
        if source.trace is not None:
            self.call_after_refresh(self.post_message, self.TraceReady(source.trace, None))
        else:
            self.call_after_refresh(self.main.show_loading, source.loading_text())
            self.call_after_refresh(self.load, source)

    @work(thread=True, exclusive=True, group="trace")
    def load(self, source: Source) -> None:
        """Trace ``source`` with torch in a thread; post the result back."""
        try:
            self.post_message(self.TraceReady(source.load(), source.spec))
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))

    @on(TraceScreen.RetraceRequested)
    def retrace(self, event: TraceScreen.RetraceRequested) -> None:
        self.notify(_("retracing with {change}…").format(change=event.why))
        self.load(Source(self.source.title, spec=event.spec))

    @on(TraceScreen.StepShown)
    def step_shown(self, event: TraceScreen.StepShown) -> None:
        classroom = getattr(self, "classroom", None)
        if event.main and classroom is not None:
            classroom.step_shown(event.trace)

    @on(TraceReady)
    def trace_ready(self, message: TraceReady) -> None:
        from bptrace.model.health import check
        from bptrace.model.trace import Trace

        if not isinstance(message.trace, Trace) and self.quiz:
            self.main.show_loading(
                _("✗ the quiz needs an MLP (per-neuron names); this model is not one")
            )
            return
        if not isinstance(message.trace, Trace):
            self.show_modules(message.trace, back=False)
            return
        self.main.spec = message.spec or self.main.spec
        self.main.trace = message.trace
        self.call_after_refresh(settle)  # once step 1 is on screen: no collection walks it
        if message.trace.warnings:
            notes = "\n".join(message.trace.warnings[:4])  # may come from a file: no markup
            self.notify(notes, title=_("note"), timeout=8, markup=False)
        flags = check(message.trace)
        if flags:
            lines = "\n".join(f.line() for f in flags[:4]) + ("\n…" if len(flags) > 4 else "")
            self.notify(
                _("{flags}\npress m for the module view").format(flags=lines),
                title=_("gradient health"),
                timeout=8,
                markup=False,
            )

    @on(TraceFailed)
    def trace_failed(self, message: TraceFailed) -> None:
        if self.source.path is not None and self.main.trace is None:  # nothing else to show
            self.failure = message.error
            self.exit(return_code=2)
            return
        self.notify(message.error, title=_("could not trace"), severity="error", markup=False)
        if self.main.trace is None:
            self.main.show_loading(f"✗ {message.error}")

    def show_modules(self, tr: Any, back: bool) -> None:
        """Push the per-module view of ``tr``."""
        from bptrace.tui.screens.modules import ModuleTraceScreen

        self.push_screen(ModuleTraceScreen(tr, self.source.title, back=back))
