"""Regenerate screenshots/modules.svg: the module screen on the deep-sigmoid example, at the
backward step of an early Linear layer whose gradient vanishes (▼ in the tree and the list).

Runs the screen on a tiny App of its own with ``run_test``, so it works whatever the main app
does; ``python scripts/screenshot_modules.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.app import App

from bptrace.model.modules import ModuleTrace
from bptrace.tracer.examples import example
from bptrace.tracer.modules import trace_modules
from bptrace.tui.screens.modules import open_module_trace

OUT = Path(__file__).resolve().parent.parent / "screenshots"
SIZE = (120, 34)
KEYS = ["b"] + ["n"] * 18  # backward, down to layer 2


def deep_sigmoid() -> ModuleTrace:
    (model, inputs, targets, loss_fn), lr = example("deep-sigmoid")
    return trace_modules(model, inputs, targets, loss_fn, lr, "deep-sigmoid")


class Shot(App[None]):
    def __init__(self, trace: ModuleTrace) -> None:
        super().__init__()
        self._trace = trace

    def on_mount(self) -> None:
        open_module_trace(self, self._trace, "example deep-sigmoid (per module)")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    app = Shot(deep_sigmoid())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*KEYS)
        for _ in range(3):
            await pilot.pause()
        print(app.save_screenshot("modules.svg", str(OUT)))


if __name__ == "__main__":
    asyncio.run(main())
