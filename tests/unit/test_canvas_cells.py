"""The drawing's canvas with double-width characters (Chinese column titles): each takes two
cells, and writing over half of one blanks its other half, so every line keeps its width."""

from __future__ import annotations

from rich.cells import cell_len

from bptrace.tui.diagram import Canvas


def test_a_wide_character_takes_two_cells() -> None:
    canvas = Canvas(10, 1)
    canvas.put(0, 0, "输入ab")
    assert canvas.text().plain == "输入ab"
    assert cell_len(canvas.text().plain) == 6


def test_writing_over_half_of_a_wide_character_blanks_the_other_half() -> None:
    canvas = Canvas(10, 1)
    canvas.put(0, 0, "输入ab")
    canvas.put(1, 0, "x")  # the right half of 输
    assert canvas.text().plain == " x入ab"
    canvas.put(3, 0, "文")  # the right half of 入, and a
    assert canvas.text().plain == " x 文b"
    assert cell_len(canvas.text().plain) == 6


def test_a_wide_character_that_does_not_fit_is_left_out() -> None:
    canvas = Canvas(3, 1)
    canvas.put(0, 0, "ab输")
    assert canvas.text().plain == "ab"
