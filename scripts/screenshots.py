"""Regenerate screenshots/*.svg by driving the real app with ``run_test`` (``make screenshots``):
every picture at 100×30 (a projector), the main views at 80×24 too (SSH), and the chain of
∂loss/∂w5 in the light theme and under NO_COLOR=1 at both sizes, and in Chinese (``--lang zh``)
at both sizes, with two lessons.

Each picture is taken at a fixed size once the app has settled (trace workers finished), so
the files only change when the app's look does.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from bptrace.i18n import set_language
from bptrace.model.spec import parse_spec_text
from bptrace.tui.app import BptraceApp

OUT = Path(__file__).resolve().parent.parent / "screenshots"
PROJECTOR, SSH = (100, 30), (80, 24)
MAIN_VIEWS: list[tuple[str, list[str]]] = [
    ("forward-step", ["n"] * 4),  # l3 = w5·h1 + w6·h2 + b3
    ("backward-chain", ["n"] * 13),  # ∂loss/∂w5, three factors, the edge h1 → o1
    ("drawing", ["n"] * 19),  # ∂loss/∂h1 flowing back along w5 and w7
    ("update", ["u"] + ["n"] * 6),  # w5 ← w5 − lr·∂loss/∂w5
]

# a batch of 16: the tree's labels show fewer samples ("[a, b, … 16 samples]") or only the count
BATCH = parse_spec_text(
    'name = "batch of 16"\nlayers = [4, 6, 3]\nactivation = "sigmoid"\n'
    'output_activation = "identity"\nloss = "cross_entropy"\nlr = 0.1\nseed = 5\n'
    f"inputs = {[[round(0.1 * ((s * 7 + k * 3) % 11) - 0.5, 2) for k in range(4)] for s in range(16)]}\n"
    f"targets = {[[1.0 if k == s % 3 else 0.0 for k in range(3)] for s in range(16)]}\n",
    "batch.toml",
)

# name, size, app arguments, keys to press, the screen that must be on top, the setting
# (dark: the default theme; light: textual-light; nocolor: NO_COLOR=1; zh: dark, in Chinese)
Shot = tuple[str, tuple[int, int], dict[str, Any], list[str], str, str]
SHOTS: list[Shot] = [
    *[(name, PROJECTOR, {}, keys, "TraceScreen", "dark") for name, keys in MAIN_VIEWS],
    *[(f"{name}-80x24", SSH, {}, keys, "TraceScreen", "dark") for name, keys in MAIN_VIEWS],
    ("backward-chain-light", PROJECTOR, {}, ["n"] * 13, "TraceScreen", "light"),
    ("backward-chain-nocolor", PROJECTOR, {}, ["n"] * 13, "TraceScreen", "nocolor"),
    ("backward-chain-80x24-light", SSH, {}, ["n"] * 13, "TraceScreen", "light"),
    ("backward-chain-80x24-nocolor", SSH, {}, ["n"] * 13, "TraceScreen", "nocolor"),
    ("help", PROJECTOR, {}, ["question_mark"], "HelpScreen", "dark"),
    ("choices", PROJECTOR, {}, ["c"], "ChoicesScreen", "dark"),
    ("choices-80x24", SSH, {}, ["c"], "ChoicesScreen", "dark"),
    ("activations", PROJECTOR, {}, ["a"], "ActivationsScreen", "dark"),
    ("activations-nocolor", PROJECTOR, {}, ["a"], "ActivationsScreen", "nocolor"),
    ("softmax", PROJECTOR, {}, ["a", "down", "down", "down", "down"], "ActivationsScreen", "dark"),
    ("losses", PROJECTOR, {}, ["l"], "LossesScreen", "dark"),
    ("training", PROJECTOR, {}, ["t", "r"], "TrainingScreen", "dark"),
    ("chain-graph", PROJECTOR, {}, ["g", "right", "right", "right"], "ChainGraphScreen", "dark"),
    ("modules", PROJECTOR, {"example": "deep-sigmoid"}, ["m"], "ModuleTraceScreen", "dark"),
    ("backward-chain-zh", PROJECTOR, {}, ["n"] * 13, "TraceScreen", "zh"),
    ("backward-chain-80x24-zh", SSH, {}, ["n"] * 13, "TraceScreen", "zh"),
    ("activations-zh", PROJECTOR, {}, ["a"], "ActivationsScreen", "zh"),
    ("chain-graph-zh", PROJECTOR, {}, ["g", "end"], "ChainGraphScreen", "zh"),
    ("cnn", PROJECTOR, {"example": "small-cnn"}, ["b"], "ModuleTraceScreen", "dark"),
    ("batch-80x24", SSH, {"spec": BATCH}, ["b", *["n"] * 5], "TraceScreen", "dark"),
]


async def settle(pilot: Pilot[None]) -> None:
    for _ in range(5):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.05)


async def shoot(
    name: str,
    size: tuple[int, int],
    kwargs: dict[str, Any],
    keys: list[str],
    top: str,
    setting: str,
) -> Path:
    os.environ.pop("NO_COLOR", None)
    if setting == "nocolor":
        os.environ["NO_COLOR"] = "1"  # Textual reads it when the app is made
    set_language("zh" if setting == "zh" else "en")
    app = BptraceApp(**kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        if setting == "light":
            app.theme = "textual-light"
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
