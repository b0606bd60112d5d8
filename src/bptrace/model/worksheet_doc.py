"""The parts of a worksheet, as plain data: paragraphs of prose and LaTeX math, aligned
equations, the table of factors, steps and the sheet. The writers lay them out
(:mod:`bptrace.model.worksheet_md`, :mod:`bptrace.model.worksheet_tex`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Seg:
    """A piece of a paragraph: prose (``text``) or LaTeX math (``math``, may hold BLANK)."""

    kind: Literal["text", "math"]
    value: str


Para = tuple[Seg, ...]


def text(value: str) -> Seg:
    return Seg("text", value)


def math(value: str) -> Seg:
    return Seg("math", value)


@dataclass(frozen=True)
class Equation:
    """One line of an aligned chain: ``label  lhs = rhs`` (lhs empty on continuation lines)."""

    rhs: str
    lhs: str = ""
    relation: str = "="
    label: str = ""


@dataclass(frozen=True)
class Table:
    """The factors of a backward step: a header of prose and rows of paragraphs."""

    header: tuple[str, ...]
    rows: tuple[tuple[Para, ...], ...]


@dataclass(frozen=True)
class SheetStep:
    """One step: its heading, its equations, the factors, and notes (paths, the check)."""

    number: int
    phase: str
    heading: Para
    equations: tuple[Equation, ...]
    table: Table | None = None
    notes: tuple[Para, ...] = ()


@dataclass(frozen=True)
class Sheet:
    """A whole worksheet: title, the network and its given numbers, the steps by phase."""

    title: str
    intro: tuple[Para, ...]
    sections: tuple[tuple[str, tuple[SheetStep, ...]], ...]
    blanks: bool
    language: str = "en"
