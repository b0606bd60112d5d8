"""Number formatting for formulas written out the way a teacher writes them on the board."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import overload


def fmt(x: float) -> str:
    """Format one number for a substituted formula: 6 decimals, short where exact.

    ``0.15 -> "0.15"``, ``0.2 -> "0.20"``, ``0.59327 -> "0.593270"``, ``1.0 -> "1"``,
    ``0.0821670405 -> "0.082167"``, ``0.000438567 -> "0.000438568"``, ``3.5e-05 -> "3.5e-05"``;
    from 1e15 on, 6 significant digits and an exponent as :func:`fmt_sig` writes it:
    ``1e300 -> "1e300"``, ``-5.489254106589528e199 -> "−5.48925e199"``.
    """
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "−inf"
    if x == 0:
        return "0"
    if abs(x) >= 1e15:  # not 1e15 digits before the point
        mant, _, exp = f"{x:.6g}".partition("e")
        text = f"{mant}e{int(exp)}" if exp else mant
    elif x == int(x):
        text = str(int(x))
    elif abs(x) < 0.1:
        text = f"{x:.6g}"
    elif abs(round(x, 4) - x) <= 1e-12 * abs(x):  # short, as written by hand: 0.15, 0.3775
        whole, _, frac = f"{x:.4f}".rstrip("0").partition(".")
        text = f"{whole}.{frac.ljust(2, '0')}"
    else:
        text = f"{x:.6f}"
    return text.replace("-", "−")


def fmt_signed(x: float) -> str:
    """Like :func:`fmt`, but negative numbers in parentheses, for use inside a product."""
    text = fmt(x)
    return f"({text})" if text.startswith("−") else text


def fmt_value(value: float | Sequence[float]) -> str:
    """Format a scalar, or a per-sample list as ``[a, b, c]``."""
    if isinstance(value, (int, float)):
        return fmt(float(value))
    return "[" + ", ".join(fmt(float(v)) for v in value) + "]"


def elide(parts: Sequence[str], sep: str, limit: int = 6) -> str:
    """Join ``parts`` with ``sep``; beyond ``limit`` show the first few, an ellipsis, the last."""
    if len(parts) <= limit:
        return sep.join(parts)
    head = list(parts[: limit - 2])
    return sep.join([*head, f"… ({len(parts) - limit + 1} more)", parts[-1]])


class Lazy(Sequence[str]):
    """``n`` strings made by ``make(i)`` only when read: :func:`elide` reads just a few, so a
    784-input neuron's formula never formats 784 numbers."""

    def __init__(self, n: int, make: Callable[[int], str]):
        self.n, self.make = n, make

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self.make(i) for i in range(*index.indices(self.n))]
        if index < 0:
            index += self.n
        if not 0 <= index < self.n:
            raise IndexError(index)
        return self.make(index)


def fmt_sig(x: float, sig: int) -> str:
    """``x`` to at most ``sig`` significant digits, rounded, never cut mid-digit.

    Numbers :func:`fmt` already writes with few digits stay as they are (``0.15``, ``0.40``);
    others are rounded: ``fmt_sig(0.5932699921, 4) -> "0.5933"``; tiny or huge ones use an
    exponent: ``fmt_sig(0.000438568, 3) -> "4.39e−4"``.
    """
    full = fmt(x)
    if not math.isfinite(x) or (
        sum(ch.isdigit() for ch in full.lstrip("−0.")) <= sig and abs(x) < 1e15
    ):
        return full
    mag = math.floor(math.log10(abs(x)))
    if -3 <= mag < 5:
        text = f"{x:.{max(0, sig - 1 - mag)}f}"
    else:
        mant, _, exp = f"{x:.{sig - 1}e}".partition("e")
        text = f"{mant}e{int(exp)}"
    return text.replace("-", "−")


def fmt_value_sig(value: float | Sequence[float], sig: int | None) -> str:
    """:func:`fmt_value` to ``sig`` significant digits (None: as :func:`fmt_value`)."""
    if sig is None:
        return fmt_value(value)
    if isinstance(value, (int, float)):
        return fmt_sig(float(value), sig)
    return "[" + ", ".join(fmt_sig(float(v), sig) for v in value) + "]"


def fmt_sig_apart(new: float, old: float, sig: int) -> str:
    """``new`` to ``sig`` significant digits, or more until it reads differently from ``old``
    (an update 0.15 → 0.149781 shows as ``0.1498``, never as an unchanged-looking ``0.150``)."""
    for digits in range(sig, 16):
        text = fmt_sig(new, digits)
        if new == old or float(text.replace("−", "-")) != old:
            return text
    return fmt(new)
