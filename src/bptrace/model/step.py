"""One step of the lesson and its parts: :class:`Step`, :class:`Factor`, :class:`Term`.

Pure result types (and the two text helpers every step builder uses); the steps themselves are
built by :class:`bptrace.model.steps.StepList`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bptrace.model.trace import Scalar

MAX_SAMPLES_SHOWN = 4


@dataclass(frozen=True)
class Factor:
    """One local derivative in a chain: its name (``∂o1/∂l3``), formula and value."""

    name: str
    formula: str
    value: Scalar
    term: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "name": self.name, "formula": self.formula, "value": self.value}


@dataclass(frozen=True)
class Term:
    """One product in a sum of products (one path, or one sample of a batch)."""

    label: str
    value: Scalar

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class Step:
    """One step of the lesson: a value computed forward, a gradient backward, or an update."""

    index: int
    phase: str
    node: str
    formula: str
    substituted: str
    value: Scalar
    factors: tuple[Factor, ...] = ()
    terms: tuple[Term, ...] = ()
    autograd: Scalar | None = None
    agrees: bool | None = None
    chain: str = ""  # backward: the product of named factors, ``∂loss/∂o1 · ∂o1/∂l3 · ∂l3/∂w5``
    symbolic: str = ""  # backward: the same product as formulas, ``(o1 − t1) · o1(1 − o1) · h1``
    tolerance: Scalar | None = None  # backward: how far from autograd still agrees, per value

    @property
    def target(self) -> str:
        """What the step computes: ``l1``, ``∂loss/∂w5`` or ``w5 (updated)``."""
        if self.phase == "backward":
            return f"∂loss/∂{self.node}"
        return f"{self.node} (updated)" if self.phase == "update" else self.node

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "phase": self.phase,
            "node": self.node,
            "formula": self.formula,
            "substituted": self.substituted,
            "value": self.value,
        }
        if self.phase == "backward":
            out["factors"] = [f.to_dict() for f in self.factors]
            out["terms"] = [t.to_dict() for t in self.terms]
            out["autograd"] = self.autograd
            out["agrees"] = self.agrees
        return out


def wrap(formula: str) -> str:
    """Parenthesise a formula with a top-level + or − so it can stand inside a product."""
    depth = 0
    for i, ch in enumerate(formula):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and formula[i : i + 3] in (" + ", " − ", " if"):
            return f"({formula})"
    return formula


def per_sample_text(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    shown = [f"[{n + 1}] {p}" for n, p in enumerate(parts[:MAX_SAMPLES_SHOWN])]
    if len(parts) > MAX_SAMPLES_SHOWN:
        shown.append(f"… ({len(parts) - MAX_SAMPLES_SHOWN} more samples)")
    return "; ".join(shown)
