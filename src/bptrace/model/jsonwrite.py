"""JSON text exactly as ``json.dumps(doc, ensure_ascii=False, indent=1)`` writes it, faster.

The standard library's indented encoder is pure Python, one call per value; here a list of
floats is written in one ``join`` (the same ``float.__repr__`` text), and a part of the
document may be handed over already rendered (:class:`Raw`). Floats JSON cannot hold (NaN,
±inf) are written as the strings ``"nan"``, ``"inf"``, ``"-inf"``, as the export has them.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

encode_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
_FLOAT_REPR = float.__repr__
_NONFINITE = {"nan": '"nan"', "inf": '"inf"', "-inf": '"-inf"'}


class Raw:
    """A value rendered by ``render(level)``: its text when it stands at nesting ``level``."""

    def __init__(self, render: Callable[[int], str]) -> None:
        self.render = render


def num(x: float) -> str:
    """One float as the export writes it (``"nan"`` and ``"inf"`` as strings)."""
    text = _FLOAT_REPR(x)
    return _NONFINITE.get(text, text)


def nums(values: list[float]) -> list[str]:
    """Many floats as the export writes them."""
    texts = list(map(_FLOAT_REPR, values))
    if "n" in "".join(texts):  # nan, inf: no other float's text has an n
        texts = [_NONFINITE.get(t, t) for t in texts]
    return texts


def pad(level: int) -> str:
    return "\n" + " " * level


def step_head(
    p1: str, index: int, phase: str, node: str, formula: str, substituted: str, value: str
) -> str:
    """A step object's opening, up to its ``value`` (``p1``: the padding of its keys), as
    ``json.dumps(indent=1)`` writes it; the caller adds the rest and the closing brace."""
    return (
        "{"
        + p1
        + f'"index": {index},'
        + p1
        + f'"phase": "{phase}",'
        + p1
        + '"node": '
        + encode_string(node)
        + ","
        + p1
        + '"formula": '
        + encode_string(formula)
        + ","
        + p1
        + '"substituted": '
        + encode_string(substituted)
        + ","
        + p1
        + '"value": '
        + value
    )


def dumps(doc: Any) -> str:
    """``json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)``, NaN as strings."""
    out: list[str] = []
    _encode(doc, 0, out)
    return "".join(out)


def _encode(o: Any, level: int, out: list[str]) -> None:
    if isinstance(o, str):
        out.append(encode_string(o))
    elif o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):
        out.append(num(o))
    elif isinstance(o, (list, tuple)):
        _encode_list(o, level, out)
    elif isinstance(o, dict):
        if not o:
            out.append("{}")
            return
        inner = pad(level + 1)
        first = True
        for key, value in o.items():
            out.append(("{" if first else ",") + inner + encode_string(key) + ": ")
            first = False
            _encode(value, level + 1, out)
        out.append(pad(level) + "}")
    elif isinstance(o, Raw):
        out.append(o.render(level))
    else:
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def _encode_list(o: list[Any] | tuple[Any, ...], level: int, out: list[str]) -> None:
    if not o:
        out.append("[]")
        return
    inner = pad(level + 1)
    try:
        texts = list(map(_FLOAT_REPR, o))  # every item a float: one join
    except TypeError:
        pass
    else:
        if "n" in "".join(texts):
            texts = [_NONFINITE.get(t, t) for t in texts]
        out.append("[" + inner + ("," + inner).join(texts) + pad(level) + "]")
        return
    first = True
    for value in o:
        out.append(("[" if first else ",") + inner)
        first = False
        _encode(value, level + 1, out)
    out.append(pad(level) + "]")
