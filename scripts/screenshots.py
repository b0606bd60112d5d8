"""Regenerate screenshots/*.svg by driving the app with ``run_test`` (``make screenshots``).

Each picture is taken at a fixed size once the trace worker has finished, so the files only
change when the app's look does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp

OUT = Path(__file__).resolve().parent.parent / "screenshots"

SHOTS: list[tuple[str, tuple[int, int], list[str]]] = [
    ("forward-step", (120, 34), ["n"] * 4),  # l3 = w5·h1 + w6·h2 + b3
    ("backward-chain", (120, 34), ["n"] * 13),  # ∂loss/∂w5, the chain of three factors
    ("drawing", (200, 50), ["n"] * 19),  # ∂loss/∂h1 flowing back along w5 and w7
    ("help", (100, 30), ["question_mark"]),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str]) -> Path:
    app = BptraceApp(spec=parse_spec_text(CLASSIC_TEXT, "classic"))
    async with app.run_test(size=size) as pilot:
        while app.main.trace is None:
            await pilot.pause(0.01)  # the trace worker starts after the first frame
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        await pilot.pause()
        path = app.save_screenshot(f"{name}.svg", str(OUT))
    return Path(path)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, size, keys in SHOTS:
        print(await shoot(name, size, keys))


if __name__ == "__main__":
    asyncio.run(main())
