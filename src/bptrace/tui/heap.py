"""Keep the garbage collector off a loaded trace, so a key press never waits for it.

A traced MLP 784-256-128-10 leaves a few hundred thousand Python objects on the heap. Python's
oldest-generation collection walks them all (about 100 ms on the benchmark's machine), and it
runs every so often while the app allocates its frames: a key that happened to trigger one
took 100 ms longer. Once a trace is on screen, :func:`settle` collects once and moves every
object then alive into the permanent generation (``gc.freeze``), which no collection walks.
The next trace unfreezes them first, so an old trace's cycles are still freed.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what the previous trace left, then exempt what is alive from later collections."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
