"""A line plot of one or more curves, drawn with textual-plotext.

textual-plotext is Textualize's own wrapper of plotext: maintained alongside Textual, it
draws with Unicode braille characters in any terminal (no images, no sixel), follows the
app's theme, and renders the same text for the same data, so SVG snapshots stay stable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual_plotext import PlotextPlot


@dataclass(frozen=True)
class Curve:
    """One labelled line: x and y values of the same length."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    color: str = "cyan"
    marker: str = "braille"
    """plotext's marker: give each curve of a plot its own (``•``, ``+``), so the curves stay
    apart without colour (NO_COLOR, a monochrome projector); the legend shows each marker."""


class CurvePlot(PlotextPlot):
    """Plots :class:`Curve` objects with a title, optionally on a log10 y axis and with a
    vertical marker (the scrubbed epoch of the training screen)."""

    DEFAULT_CSS = """
    CurvePlot {
        height: 11;
        min-height: 6;
    }
    """

    def show(
        self,
        curves: Sequence[Curve],
        title: str = "",
        *,
        log_y: bool = False,
        marker: float | None = None,
        xlabel: str = "",
    ) -> None:
        """Replace what is drawn by ``curves``."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        if xlabel:
            plt.xlabel(xlabel)
        for curve in curves:
            ys = [math.log10(v) if log_y and v > 0 else v for v in curve.y]
            plt.plot(list(curve.x), ys, label=curve.label, marker=curve.marker, color=curve.color)
        if marker is not None:
            plt.vline(marker, "red")
        if log_y:
            plt.ylabel("log10")
        self.refresh()
