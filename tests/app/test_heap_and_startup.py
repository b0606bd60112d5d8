"""The app opens its source once at start, and collects the heap in full only between keys."""

from __future__ import annotations

import gc

import pytest
from conftest import classic_app, ready

from bptrace.tui import heap
from bptrace.tui.source import Source
from bptrace.tui.trace_app import TraceApp


async def test_the_source_is_opened_once_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual calls every class's ``on_mount``; BptraceApp's had called TraceApp's again, so
    the source was opened twice (two trace workers, the first cancelled; two heap timers)."""
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


async def test_full_collections_wait_for_a_pause_in_the_keys() -> None:
    before = gc.get_threshold()
    app = classic_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert gc.get_threshold()[2] == heap.PRESSES
        collector = app.heap
        done = collector.collections
        for _ in range(6):  # keys closer together than the pause: no collection in between
            await pilot.press("n")
            await pilot.pause(heap.PAUSE / 4)
        assert collector.collections == done
        await pilot.pause(heap.PAUSE * 1.6)
        assert collector.collections == done + 1
        await pilot.pause(heap.PAUSE * 1.1)  # no key since: nothing more to collect
        assert collector.collections == done + 1
    assert gc.get_threshold() == before
