"""The app opens its source once at start, and collects the heap in full only between keys."""

from __future__ import annotations

import gc
import time

import pytest
from conftest import classic_app, ready

from bptrace.tui import heap
from bptrace.tui.source import Source
from bptrace.tui.trace_app import TraceApp


async def test_the_source_is_opened_once_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual calls every class's ``on_mount``; BptraceApp's had called TraceApp's again, so
    the source was opened twice (two `open` calls, two idle collectors)."""
    opened: list[str] = []
    open_ = TraceApp.open

    def counted(self: TraceApp, source: Source, first: bool = False) -> None:
        opened.append(source.title)
        open_(self, source, first)

    monkeypatch.setattr(TraceApp, "open", counted)
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert len(opened) == 1


async def test_full_collections_wait_for_a_pause_in_the_keys(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = gc.get_threshold()
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert gc.get_threshold()[2] == heap.PRESSES
        collector = app.heap
        # the app's own timer: a key, then a collection once the keys have paused (polled:
        # a loaded machine may run the timer late, never early)
        done = collector.collections
        pressed = time.monotonic()  # before the key: the pause is measured from no later
        await pilot.press("n")
        while collector.collections == done and time.monotonic() - pressed < 20:
            await pilot.pause(0.05)
        assert collector.collections == done + 1
        assert time.monotonic() - pressed >= heap.PAUSE * 0.99
        # the rule itself, on a clock of our own
        now = [1000.0]
        monkeypatch.setattr(heap, "monotonic", lambda: now[0])
        done = collector.collections
        collector.poke()
        for at in (0.2, 0.5, 0.9):  # keys keep coming closer than the pause: no collection
            now[0] = 1000.0 + at
            collector._tick()
            collector.poke()
        now[0] += heap.PAUSE / 2
        collector._tick()
        assert collector.collections == done
        now[0] += heap.PAUSE / 2
        collector._tick()  # a pause as long as PAUSE: one collection
        assert collector.collections == done + 1
        now[0] += heap.PAUSE * 5
        collector._tick()  # no key since: nothing more to collect
        assert collector.collections == done + 1
    assert gc.get_threshold() == before
