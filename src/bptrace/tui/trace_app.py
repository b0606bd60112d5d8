"""The core of the app: a source traced in a worker and shown on the main screen.

The trace is made in a thread worker (torch is imported there, never at module level), so
the first frame appears at once and says it is loading. ``bptrace view`` passes a Trace read
from JSON and never imports torch at all. :class:`bptrace.tui.app.BptraceApp` adds the keys
that open everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App
from textual.message import Message
from textual.screen import Screen

from bptrace.model.catalog import LESSON_EXAMPLES
from bptrace.model.errors import BptraceError
from bptrace.model.spec import Spec
from bptrace.tui.colours import use_readable_colours
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.source import Source

READ_ONLY = "editing is disabled in `bptrace view`: a JSON file holds numbers, not a model to retrace (open a spec with `bptrace --spec FILE` to edit)"
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
    ):
        super().__init__()
        use_readable_colours(self)
        if trace is not None:
            self.source = Source(
                title or "view", trace=trace, read_only=read_only, model_ref=model_ref
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
            self.call_after_refresh(self.run_action, "lesson('chain')")
            source = Source.classic()
        if not first:
            self.main.reset(source.title, source.spec, source.read_only)
        self.source = source
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

    @on(TraceScreen.RetraceRequested)
    def retrace(self, event: TraceScreen.RetraceRequested) -> None:
        self.notify(f"retracing with {event.why}…")
        self.load(Source(self.source.title, spec=event.spec))

    @on(TraceReady)
    def trace_ready(self, message: TraceReady) -> None:
        from bptrace.model.health import check
        from bptrace.model.trace import Trace

        if not isinstance(message.trace, Trace):
            self.show_modules(message.trace, back=False)
            return
        self.main.spec = message.spec or self.main.spec
        self.main.trace = message.trace
        flags = check(message.trace)
        if flags:
            lines = "\n".join(f.line() for f in flags[:4]) + ("\n…" if len(flags) > 4 else "")
            self.notify(f"{lines}\npress m for the module view", title="gradient health", timeout=8)

    @on(TraceFailed)
    def trace_failed(self, message: TraceFailed) -> None:
        self.notify(message.error, title="could not trace", severity="error")
        if self.main.trace is None:
            self.main.show_loading(f"✗ {message.error}")

    def show_modules(self, tr: Any, back: bool) -> None:
        """Push the per-module view of ``tr``."""
        from bptrace.tui.screens.modules import ModuleTraceScreen

        self.push_screen(ModuleTraceScreen(tr, self.source.title, back=back))
