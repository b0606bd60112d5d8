"""Parsing a trace file fast (orjson), or saying it cannot, so the reference reader decides.

:func:`bptrace.model.trace_checks.parse` is the reference: the standard library's ``json``
with the hostile-input limits checked early and one error line for each kind of bad file.
:func:`parse_fast` reads the same documents 2-3 times faster, with one rule: it answers only
when it is sure to give the very document the reference gives, and otherwise returns ``None``
(the caller then uses the reference, which gives the verdict and its message). It returns
``None`` for:

- a file over the reference's value limit (commas), so the reference's message names it;
- any file orjson refuses: not UTF-8, not JSON, ``NaN``/``Infinity`` literals, a number too
  big for a double (``1e400``, which the reference reads as inf), a lone surrogate escape,
  nesting over 1,024 levels;
- a run of 20 or more digits not after ``.``, ``e`` or ``E`` anywhere in the text: it may be
  an integer of more than 64 bits, which orjson reads as a float but the reference as an int
  (up to :data:`~bptrace.model.trace_checks.MAX_INT_DIGITS` digits) or refuses (more).

orjson and the reference agree on everything else JSON (numbers to the last bit, strings,
duplicated keys: the last one wins). Nesting between the reference's limit (the interpreter's
recursion limit, about 1,000 levels less the caller's stack) and orjson's 1,024 is the one
difference left: the caller re-reads with the reference whenever a fast-parsed document is
refused (see :func:`bptrace.model.jsonio.load_trace`), so a bad file always gets the
reference's words, and a document that deep never passes the schema.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from bptrace.model import trace_checks

LONG_RUN = 20  # digits: 2**64 has 20, so any integer orjson reads as a float has at least this

_DIGITS = bytearray(b" " * 256)
for _c in b"0123456789":
    _DIGITS[_c] = ord("0")
for _c in b".eE":
    _DIGITS[_c] = ord("x")
DIGIT_TABLE = bytes(_DIGITS)  # digits to "0", ".eE" to "x", every other byte to " "


def has_long_integer(data: bytes) -> bool:
    """Whether ``data`` may hold an integer of :data:`LONG_RUN` or more digits (never a miss).

    Digits after ``.`` (a fraction) or ``e``/``E`` (an exponent) are not an integer's; ``-``
    and anything else before a run are. Runs inside strings count too (a false alarm only
    costs the reference's slower parse).
    """
    mapped = data.translate(DIGIT_TABLE)
    run = b"0" * LONG_RUN
    return mapped.startswith(run) or mapped.find(b" " + run) >= 0


def parse_fast(data: bytes) -> Any | None:
    """The document in ``data`` exactly as the reference parser gives it, or ``None``."""
    if data.count(b",") + 1 > trace_checks.MAX_TRACE_VALUES or has_long_integer(data):
        return None
    try:
        return orjson.loads(data)
    except (orjson.JSONDecodeError, RecursionError):
        return None


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection passes while a million new containers (none cyclic) are built."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
