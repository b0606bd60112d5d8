"""SVG snapshots of the main views at 80×24 (SSH) and 100×30 (a projector), and of each lesson
screen at 100×30, in the default dark theme.

Update them with ``pytest tests/app/test_snapshots_sizes.py --snapshot-update`` after looking
at the new pictures (``make screenshots`` writes the same views to ``screenshots/``).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import classic_app, ready
from textual.pilot import Pilot

MAIN = {
    "forward_l1": [],
    "backward_w5": ["n"] * 13,
    "update_w5": ["u"] + ["n"] * 6,
}
LESSONS = {
    "activations": ["a"],
    "losses": ["l"],
    "training": ["t", "r"],
    "chain_graph": ["g", "right", "right", "right"],
}


def _settled(keys: list[str]) -> Any:
    async def run_before(pilot: Pilot[None]) -> None:
        await ready(pilot)
        for key in keys:
            await pilot.press(key)
            for _ in range(3):
                await pilot.app.workers.wait_for_complete()
                await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (100, 30)], ids=["80x24", "100x30"])
@pytest.mark.parametrize("view", list(MAIN))
def test_main_view(snap_compare: Any, view: str, size: tuple[int, int]) -> None:
    assert snap_compare(classic_app(), terminal_size=size, run_before=_settled(MAIN[view]))


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_lesson_100x30(snap_compare: Any, lesson: str) -> None:
    assert snap_compare(
        classic_app(), terminal_size=(100, 30), run_before=_settled(LESSONS[lesson])
    )
