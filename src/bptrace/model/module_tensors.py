"""One tensor of a module trace: :class:`Stats`, :class:`TensorInfo` (a tensor), :class:`Pair`.

Pure result types (no torch), with their JSON form. Full tensors are kept
(``TensorInfo.data``, flat, row-major) only for tensors of at most :data:`TENSOR_LIMIT`
elements, and only while the trace holds at most :data:`TOTAL_LIMIT` elements in all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt

TENSOR_LIMIT = 65_536  # elements: a tensor this size or smaller is kept in full for export
TOTAL_LIMIT = 4_000_000  # elements kept in full across one trace; beyond it, stats only

Array = NDArray[np.float64]
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Stats:
    """Summary statistics of one tensor, as torch computes them.

    ``std`` is the population standard deviation (``torch.std(correction=0)``), ``norm`` the
    Euclidean norm of all elements (``torch.linalg.vector_norm``), ``zeros`` the fraction of
    elements exactly equal to 0. NaN or inf anywhere makes the moments NaN/inf; ``nan`` and
    ``inf`` count them.
    """

    count: int
    mean: float
    std: float
    min: float
    max: float
    norm: float
    zeros: float
    nan: int = 0
    inf: int = 0

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": num(self.mean),
            "std": num(self.std),
            "min": num(self.min),
            "max": num(self.max),
            "norm": num(self.norm),
            "zeros": num(self.zeros),
            "nan": self.nan,
            "inf": self.inf,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stats:
        return cls(
            int(d["count"]),
            to_float(d["mean"]),
            to_float(d["std"]),
            to_float(d["min"]),
            to_float(d["max"]),
            to_float(d["norm"]),
            to_float(d["zeros"]),
            int(d["nan"]),
            int(d["inf"]),
        )

    def short(self) -> str:
        """``mean 0.1 std 0.2 min … max … ‖·‖ … zeros 0%`` for a line of text."""
        text = _("mean {mean}  std {std}  min {min}  max {max}  ‖·‖ {norm}  zeros {zeros}%").format(
            mean=fmt(self.mean),
            std=fmt(self.std),
            min=fmt(self.min),
            max=fmt(self.max),
            norm=fmt(self.norm),
            zeros=f"{100 * self.zeros:.1f}",
        )
        if not self.finite:
            text += f"  NaN {self.nan}  inf {self.inf}"
        return text


Later = Callable[[], tuple[Stats, Array | None]]


class TensorInfo:
    """One tensor: shape, dtype, statistics, and its elements (flat) when small enough.

    A tracer may give ``later`` instead of ``stats`` and ``data``: a function that computes
    both, called the first time either is read (or by :meth:`settle`), then dropped with
    whatever it holds. Reading ``stats`` or ``data`` is the same either way.
    """

    __slots__ = ("_data", "_later", "_stats", "dtype", "shape")

    def __init__(
        self,
        shape: Shape,
        dtype: str,
        stats: Stats | None = None,
        data: Array | None = None,
        *,
        later: Later | None = None,
    ) -> None:
        if (stats is None) == (later is None):
            raise TypeError("TensorInfo needs either stats or later")
        self.shape = shape
        self.dtype = dtype
        self._stats = stats
        self._data = data
        self._later = later

    @property
    def stats(self) -> Stats:
        if self._later is not None:
            self.settle()
        assert self._stats is not None
        return self._stats

    @property
    def data(self) -> Array | None:
        if self._later is not None:
            self.settle()
        return self._data

    @property
    def settled(self) -> bool:
        """Whether the statistics are computed (always, unless a tracer deferred them)."""
        return self._later is None

    def settle(self) -> None:
        """Compute the deferred statistics and elements now (nothing if already done)."""
        later = self._later
        if later is not None:
            self._stats, self._data = later()
            self._later = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorInfo):
            return NotImplemented
        a, b = self.data, other.data
        same_data = (a is None and b is None) or (
            a is not None and b is not None and bool(np.array_equal(a, b, equal_nan=True))
        )
        return (self.shape, self.dtype, self.stats) == (other.shape, other.dtype, other.stats) and (
            same_data
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        stats = repr(self._stats) if self.settled else "(not computed yet)"
        return f"TensorInfo(shape={self.shape!r}, dtype={self.dtype!r}, stats={stats})"

    def array(self) -> Array | None:
        """The elements in their shape, or None when the tensor was too large to keep."""
        data = self.data
        return None if data is None else data.reshape(self.shape)

    def to_dict(self) -> dict[str, Any]:
        data = self.data
        return {
            "shape": list(self.shape),
            "dtype": self.dtype,
            "stats": self.stats.to_dict(),
            "data": None if data is None else [num(float(v)) for v in data],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str, where: str) -> TensorInfo:
        shape = tuple(int(s) for s in d["shape"])
        data = None
        if d["data"] is not None:
            data = np.array([to_float(v) for v in d["data"]], dtype=np.float64)
            if data.size != math.prod(shape):
                raise BptraceError(
                    _(
                        "{source}: invalid trace at {where}: {count} elements for shape {shape}"
                    ).format(source=source, where=where, count=data.size, shape=list(shape))
                )
        return cls(shape, d["dtype"], Stats.from_dict(d["stats"]), data)


@dataclass
class Pair:
    """A tensor and ∂loss/∂tensor (None when no gradient flows to it)."""

    value: TensorInfo
    grad: TensorInfo | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value.to_dict(), "grad": opt_dict(self.grad)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str, where: str) -> Pair:
        grad = None if d["grad"] is None else TensorInfo.from_dict(d["grad"], source, where)
        return cls(TensorInfo.from_dict(d["value"], source, where), grad)


def num(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def to_float(x: float | str) -> float:
    if isinstance(x, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[x]
    return float(x)


def opt_dict(t: TensorInfo | None) -> dict[str, Any] | None:
    return None if t is None else t.to_dict()
