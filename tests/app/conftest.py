"""Shared helpers for the app tests: the classic app, and waiting for its trace."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.widgets.info_bar import InfoBar
from bptrace.tui.widgets.network_tree import NetworkTree
from bptrace.tui.widgets.step_pane import StepPane


def classic_app() -> BptraceApp:
    return BptraceApp(spec=parse_spec_text(CLASSIC_TEXT, "classic"))


def main(app: BptraceApp) -> TraceScreen:
    """The app's main screen (below any dialog or lesson screen)."""
    screen = app.screen_stack[0]
    assert isinstance(screen, TraceScreen)
    return screen


async def ready(pilot: Pilot[None]) -> None:
    """Wait until the trace is on screen (the worker starts after the first frame)."""
    for _ in range(3000):
        stack = pilot.app.screen_stack
        if getattr(stack[0], "trace", None) is not None:
            break
        await pilot.pause(0.01)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def until_screen(pilot: Pilot[None], name: str) -> None:
    """Wait until the screen on top is of the class called ``name``."""
    for _ in range(1500):
        if type(pilot.app.screen).__name__ == name:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    assert type(pilot.app.screen).__name__ == name


def pane(app: BptraceApp) -> str:
    return app.query_one(StepPane).text


def header(app: BptraceApp) -> str:
    return app.query_one(InfoBar).text


def cursor(app: BptraceApp) -> str | None:
    return app.query_one(NetworkTree).current_name()


def tree_label(app: BptraceApp, name: str) -> str:
    return app.query_one(NetworkTree).label_of(name)


def _finer_idle_wait() -> None:
    """Pilot's ``pause()`` waits until the process is idle by sleeping 1/50 s at a time and
    looking at the CPU time spent meanwhile, so every pause costs 20–60 ms even when the app
    is done in 2. The same test with 1/200 s steps (and the idle threshold scaled with it)."""
    try:
        import textual._wait as wait
    except ImportError:  # a Textual that waits another way: its own pace, only slower
        return
    wait.SLEEP_GRANULARITY = 1 / 200
    wait.SLEEP_IDLE = wait.SLEEP_GRANULARITY / 20.0


_finer_idle_wait()


def _press_ends_on_a_drawn_frame() -> None:
    """``press()`` returns once the keys' messages are handled, but the screen lays itself out
    and repaints on its own timer (1/60 s). With 1/50 s idle steps that timer had always fired
    before ``press()`` returned; with the finer steps above it sometimes had not, and a test
    read the frame from before the key (seen once in CI). So ``press()`` here ends as
    ``pause()`` does: with the screen's pending layout and repaint done."""
    press = Pilot.press

    async def press_and_draw(self: Pilot[Any], *keys: str) -> None:
        await press(self, *keys)
        await self.pause()

    Pilot.press = press_and_draw  # type: ignore[method-assign]


_press_ends_on_a_drawn_frame()
