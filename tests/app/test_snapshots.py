"""A few SVG snapshots of the look (fixed sizes, the trace awaited before each).

Update them with ``pytest tests/app/test_snapshots.py --snapshot-update`` after checking the
new pictures by eye.
"""

from __future__ import annotations

from typing import Any

from conftest import classic_app, ready


def test_forward_step_80x24(snap_compare: Any) -> None:
    assert snap_compare(
        classic_app(), press=["n", "n", "n", "n"], terminal_size=(80, 24), run_before=ready
    )


def test_backward_w5_200x60(snap_compare: Any) -> None:
    assert snap_compare(classic_app(), press=["n"] * 13, terminal_size=(200, 60), run_before=ready)


def test_help_80x24(snap_compare: Any) -> None:
    assert snap_compare(
        classic_app(), press=["question_mark", "_", "_"], terminal_size=(80, 24), run_before=ready
    )


def test_edit_modal_refusal_80x24(snap_compare: Any) -> None:
    keys = ["n"] * 13 + [
        "e",
        "backspace",
        "backspace",
        "backspace",
        "backspace",
        "x",
        "enter",
        "_",
        "_",
    ]
    assert snap_compare(classic_app(), press=keys, terminal_size=(80, 24), run_before=ready)
