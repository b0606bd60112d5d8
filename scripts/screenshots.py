"""Regenerate screenshots/*.svg by driving the real app with ``run_test`` (``make screenshots``).

Each picture is taken at a fixed size once the app has settled (trace workers finished), so
the files only change when the app's look does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from bptrace.tui.app import BptraceApp

OUT = Path(__file__).resolve().parent.parent / "screenshots"
WIDE, TALL = (120, 34), (200, 50)

# name, size, app arguments, keys to press, the screen that must be on top at the end
SHOTS: list[tuple[str, tuple[int, int], dict[str, Any], list[str], str]] = [
    ("forward-step", WIDE, {}, ["n"] * 4, "TraceScreen"),  # l3 = w5·h1 + w6·h2 + b3
    ("backward-chain", WIDE, {}, ["n"] * 13, "TraceScreen"),  # ∂loss/∂w5, three factors
    ("drawing", TALL, {}, ["n"] * 19, "TraceScreen"),  # ∂loss/∂h1 flowing back along w5, w7
    ("update", WIDE, {}, ["u"], "TraceScreen"),  # w1 ← w1 − lr·∂loss/∂w1
    ("help", (100, 30), {}, ["question_mark"], "HelpScreen"),
    ("choices", WIDE, {}, ["c"], "ChoicesScreen"),
    ("activations", WIDE, {}, ["a"], "ActivationsScreen"),
    ("softmax", WIDE, {}, ["a", "down", "down", "down", "down"], "ActivationsScreen"),
    ("losses", WIDE, {}, ["l"], "LossesScreen"),
    ("training", WIDE, {}, ["t", "r"], "TrainingScreen"),
    ("chain-graph", WIDE, {}, ["g", "right", "right", "right"], "ChainGraphScreen"),
    ("modules", WIDE, {"example": "deep-sigmoid"}, ["m"], "ModuleTraceScreen"),
    ("cnn", WIDE, {"example": "small-cnn"}, ["b"], "ModuleTraceScreen"),
]


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def shoot(name: str, size: tuple[int, int], kwargs: dict[str, Any], keys: list[str], top: str) -> Path:
    app = BptraceApp(**kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for _ in range(500):  # module views and training finish in workers
            if type(app.screen).__name__ == top:
                break
            await pilot.pause(0.02)
        await settle(pilot)
        if type(app.screen).__name__ != top:
            raise SystemExit(f"{name}: expected {top} on top, got {type(app.screen).__name__}")
        return Path(app.save_screenshot(f"{name}.svg", str(OUT)))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for shot in SHOTS:
        print(await shoot(*shot))


if __name__ == "__main__":
    asyncio.run(main())
