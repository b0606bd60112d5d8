"""WCAG 2 contrast of the text runs of a Textual SVG screenshot (a helper of the tests).

A screenshot is a grid of ``<rect>`` backgrounds and ``<text>`` runs whose colour is a CSS
class; a run's contrast is taken against the background cell under its first character.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

_CLASS = re.compile(r"\.(terminal-\d+-r\d+)\s*\{\s*fill:\s*(#[0-9a-fA-F]{3,6})")
_RECT = re.compile(
    r'<rect fill="(#[0-9a-fA-F]{3,6})" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
    r'height="([\d.]+)" shape-rendering="crispEdges"'
)
_TEXT = re.compile(
    r'<text class="(terminal-\d+-r\d+)" x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"'
    r"[^>]*>([^<]*)</text>"
)


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (WCAG 2)."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)

    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(h[i : i + 2], 16) / 255) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)))
    return (lb + 0.05) / (la + 0.05)


@dataclass(frozen=True)
class Run:
    text: str
    fg: str
    bg: str
    ratio: float


def digit_runs(svg: str) -> list[Run]:
    """Every text run that holds a digit, with its colours and contrast ratio."""
    classes = dict(_CLASS.findall(svg))
    rects = [(float(x), float(y), float(w), float(h), f) for f, x, y, w, h in _RECT.findall(svg)]
    frame = re.search(r'<rect fill="(#[0-9a-fA-F]{3,6})" stroke', svg)
    default = frame.group(1) if frame else "#000000"
    runs = []
    for cls, x, y, w, raw in _TEXT.findall(svg):
        text = html.unescape(raw).replace("\xa0", " ")
        if not re.search(r"\d", text) or cls not in classes:
            continue
        cx, cy = float(x) + min(float(w), 12) / 2, float(y) - 8  # inside the first cell
        bg = default
        for rx, ry, rw, rh, fill in rects:
            if rx <= cx < rx + rw and ry <= cy < ry + rh:
                bg = fill
        runs.append(Run(text.strip(), classes[cls], bg, ratio(classes[cls], bg)))
    return runs
