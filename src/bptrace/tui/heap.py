"""Keep the garbage collector's full collections out of key presses.

A traced MLP 784-256-128-10 leaves a few hundred thousand Python objects on the heap (torch,
numpy, Textual and the trace). Python's oldest-generation collection walks them all (about
100 ms on the benchmark's machine), and it runs every so often while the app allocates its
frames: a key that happened to trigger one took 100 ms longer. Two things keep it away:

- Once a trace is on screen, :func:`settle` collects once and moves every object then alive
  into the permanent generation (``gc.freeze``), which no collection walks. The next trace
  unfreezes them first, so an old trace's cycles are still freed.
- What the frames allocate after that (Textual's strip caches: 25,000–40,000 objects) still
  made a full collection cost 5–20 ms, and one came every ten or so key presses (a key then
  took 55 ms instead of 35). :class:`IdleCollector` makes the automatic ones rare (Python's
  third threshold, 10 → :data:`PRESSES`) and does the full collection itself once the keys
  have paused for :data:`PAUSE` seconds, when nobody is waiting for a frame.
"""

from __future__ import annotations

import gc
from time import monotonic
from typing import Any

from textual.app import App

PAUSE = 1.0
"""Seconds without a key after which the heap is collected."""
PRESSES = 100
"""About how many key presses in a row may pass before Python collects in full on its own:
the third threshold counts middle-generation collections, and on the MLP about one comes per
key."""


def settle() -> None:
    """Collect what the previous trace left, then exempt what is alive from later collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class IdleCollector:
    """Full collections in the pauses between keys (:meth:`poke` on each key)."""

    def __init__(self, app: App[Any]) -> None:
        self._thresholds = gc.get_threshold()
        gc.set_threshold(self._thresholds[0], self._thresholds[1], PRESSES)
        self._last = monotonic()
        self._due = False
        self.collections = 0
        """How many collections this has made (for tests)."""
        app.set_interval(PAUSE / 2, self._tick)

    def poke(self) -> None:
        """A key came: collect once the keys have paused."""
        self._last = monotonic()
        self._due = True

    def stop(self) -> None:
        """The app is closing: Python's own thresholds again (the timer stops with the app)."""
        gc.set_threshold(*self._thresholds)

    def _tick(self) -> None:
        if self._due and monotonic() - self._last >= PAUSE:
            self._due = False
            gc.collect()
            self.collections += 1
