"""Validating an MLP export fast: the schema for its structure, numpy for its big arrays.

An export at scalar detail is mostly numbers: per-layer arrays, and thousands of steps and
nodes. Checking each number in jsonschema takes a minute on a 10,000-scalar network, so
:func:`validate_mlp` splits the work:

- the document without its big parts (arrays emptied, no steps or nodes) goes through the
  published JSON Schema as before;
- every per-layer array is checked by type and shape in bulk (one C-level pass): a matrix is a rectangular
  list of lists of numbers (or ``"nan"``, ``"inf"``, ``"-inf"``), a vector a list of them; a
  wrong one is refused in one line naming its key (``tensors/layers/0/weight/value``);
- the steps and nodes are checked a field at a time over all of them at once, for exactly the
  form the export writes; anything else (a field missing, an extra one, another type) is
  handed to the schema, which then names the first place at fault.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from itertools import chain
from operator import itemgetter
from typing import Any

from bptrace.i18n import _
from bptrace.model.errors import BptraceError

NONFINITE = frozenset(("nan", "inf", "-inf"))
NUMBER = (int, float)
PAIR = ("value", "grad")
PARAM = ("value", "grad", "updated")

STEP_KEYS = ("index", "phase", "node", "formula", "substituted", "value")
BACKWARD_KEYS = (*STEP_KEYS, "factors", "terms", "autograd", "agrees")
FACTOR_KEYS = ("term", "name", "formula", "value")
TERM_KEYS = ("label", "value")
NODE_KINDS = frozenset(
    ("input", "target", "weight", "bias", "pre_activation", "hidden", "output", "loss")
)
NODE_KEYS = (
    ("kind", "value", "grad"),
    ("kind", "value", "grad", "trainable"),
    ("kind", "value", "grad", "trainable", "updated"),
)


class Unusual(Exception):
    """Not the form the export writes: the schema decides."""


def validate_mlp(doc: dict[str, Any], source: str, schema_check: Callable[[Any], None]) -> None:
    """Validate an MLP export; ``schema_check(doc)`` raises naming the first schema error."""
    skeleton, arrays = _split(doc)
    schema_check(skeleton)
    for where, value, kind in arrays:
        check_array(value, kind, where, source)
    try:
        _check_nodes(doc.get("nodes"))
        _check_steps(doc.get("steps"))
    except (Unusual, KeyError):  # KeyError: a field missing
        schema_check(doc)  # the slow, exact verdict (and message) for an unusual document


def check_array(value: Any, kind: str, where: str, source: str) -> None:
    """``value`` is a ``vector`` or a ``matrix`` of numbers, or one line naming ``where``."""
    want = 1 if kind == "vector" else 2
    if not isinstance(value, list):
        raise _fail(source, where, _("expected a {what}, got {value}"), want, _json_type(value))
    if not value:
        return
    items: list[Any] = value
    if want == 2:
        if not _all_lists(value):
            raise _fail(source, where, _("expected a {what}, got a row that is not a list"), want)
        if len(set(map(len, value))) != 1:
            raise _fail(source, where, _("expected a {what}, got rows of different lengths"), want)
        items = list(chain.from_iterable(value))
    types = set(map(type, items))
    if list in types:
        raise _fail(
            source, where, _("expected a {what}, got {value} levels of lists"), want, want + 1
        )
    if not types <= {int, float, str}:
        bad = next(v for v in items if type(v) not in (int, float, str))
        raise _fail(source, where, _("expected numbers, got {value}"), want, _json_type(bad))
    if str in types:
        text = next((v for v in items if type(v) is str and v not in NONFINITE), None)
        if text is not None:
            shown = json.dumps(text[:40])  # escaped: a newline or ESC stays on one line
            raise _fail(source, where, _("expected numbers, got the string {value}"), want, shown)


def _fail(source: str, where: str, message: str, ndim: int, value: object = None) -> BptraceError:
    what = _("list of numbers") if ndim == 1 else _("matrix (a list of rows of numbers)")
    return BptraceError(
        _("{source}: invalid trace at {where}: {message}").format(
            source=source, where=where, message=message.format(what=what, value=value)
        )
    )


def _json_type(v: Any) -> str:
    names = {dict: _("an object"), list: _("a list"), str: _("a string"), bool: _("a boolean")}
    return "null" if v is None else names.get(type(v), type(v).__name__)


def _all_lists(value: list[Any]) -> bool:
    return set(map(type, value)) == {list}


def _split(doc: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, Any, str]]]:
    """The document with its arrays emptied and no steps or nodes, and the arrays taken out."""
    arrays: list[tuple[str, Any, str]] = []

    def take(obj: Any, keys: Iterable[str], where: str, kind: str) -> Any:
        if not isinstance(obj, dict):
            return obj
        out = dict(obj)
        for key in keys:
            if isinstance(out.get(key), list):
                arrays.append((f"{where}/{key}", out[key], kind))
                out[key] = []
        return out

    skeleton = dict(doc)
    if isinstance(doc.get("nodes"), dict):
        skeleton["nodes"] = {}
    if isinstance(doc.get("steps"), list):
        skeleton["steps"] = []
    tensors = doc.get("tensors")
    if isinstance(tensors, dict):
        t = dict(tensors)
        t["input"] = take(t.get("input"), PAIR, "tensors/input", "matrix")
        if isinstance(t.get("layers"), list):
            layers = []
            for k, layer in enumerate(t["layers"]):
                if isinstance(layer, dict):
                    where = f"tensors/layers/{k}"
                    layer = dict(layer)
                    layer["weight"] = take(layer.get("weight"), PARAM, f"{where}/weight", "matrix")
                    layer["bias"] = take(layer.get("bias"), PARAM, f"{where}/bias", "vector")
                    layer["pre"] = take(layer.get("pre"), PAIR, f"{where}/pre", "matrix")
                    layer["post"] = take(layer.get("post"), PAIR, f"{where}/post", "matrix")
                layers.append(layer)
            t["layers"] = layers
        skeleton["tensors"] = t
    return skeleton, arrays


# -- steps and nodes, in the form the export writes --------------------------------------------
def _require(ok: bool) -> None:
    if not ok:
        raise Unusual


def _scalars(values: list[Any]) -> None:
    """Every value is a num or a list of nums (the schema's ``scalar``)."""
    types = set(map(type, values))
    _require(types <= {int, float, str, list})
    if str in types:
        _require({v for v in values if type(v) is str} <= NONFINITE)
    if list in types:
        flat = list(chain.from_iterable(v for v in values if type(v) is list))
        inner = set(map(type, flat))
        _require(inner <= {int, float, str})
        if str in inner:
            _require({v for v in flat if type(v) is str} <= NONFINITE)


def _strings(values: list[Any]) -> None:
    _require(set(map(type, values)) <= {str})


def _check_nodes(nodes: Any) -> None:
    if nodes is None:
        return
    _require(type(nodes) is dict)
    if not nodes:
        return
    items = list(nodes.values())
    _require(set(map(type, items)) == {dict})
    _require(set(map(tuple, items)) <= set(NODE_KEYS))
    _require(set(map(itemgetter("kind"), items)) <= NODE_KINDS)
    _scalars(list(map(itemgetter("value"), items)))
    grads = [g for g in map(itemgetter("grad"), items) if g is not None]
    _scalars(grads)
    params = [n for n in items if len(n) > 3]
    _require(set(map(type, map(itemgetter("trainable"), params))) <= {bool})
    updated = [n["updated"] for n in params if len(n) > 4]
    _scalars(updated)
    _require(list not in set(map(type, updated)))
    import re

    pattern = re.compile(r"(loss|[itlhowb][1-9][0-9]*)")
    _require(all(map(pattern.fullmatch, nodes)))


def _check_steps(steps: Any) -> None:
    if steps is None:
        return
    _require(type(steps) is list)
    if not steps:
        return
    _require(set(map(type, steps)) == {dict})
    _require(set(map(len, steps)) <= {len(STEP_KEYS), len(BACKWARD_KEYS)})  # each key read below
    index = list(map(itemgetter("index"), steps))
    _require(set(map(type, index)) == {int} and min(index) >= 0)
    phases = list(map(itemgetter("phase"), steps))
    _require(set(phases) <= {"forward", "backward", "update"})
    backward = [s for s in steps if len(s) == len(BACKWARD_KEYS)]
    _require(sum(p == "backward" for p in phases) == len(backward))
    for key in ("node", "formula", "substituted"):
        _strings(list(map(itemgetter(key), steps)))
    _scalars(list(map(itemgetter("value"), steps)))
    if not backward:
        return
    _scalars(list(map(itemgetter("autograd"), backward)))
    _require(set(map(type, map(itemgetter("agrees"), backward))) == {bool})
    factor_lists = list(map(itemgetter("factors"), backward))
    term_lists = list(map(itemgetter("terms"), backward))
    _require(set(map(type, factor_lists)) | set(map(type, term_lists)) == {list})
    factors = list(chain.from_iterable(factor_lists))
    terms = list(chain.from_iterable(term_lists))
    if factors:
        _require(set(map(type, factors)) == {dict})
        _require(set(map(len, factors)) == {len(FACTOR_KEYS)})  # and each is read below
        term = list(map(itemgetter("term"), factors))
        _require(set(map(type, term)) == {int} and min(term) >= 0)
        _strings(list(map(itemgetter("name"), factors)))
        _strings(list(map(itemgetter("formula"), factors)))
        _scalars(list(map(itemgetter("value"), factors)))
    if terms:
        _require(set(map(type, terms)) == {dict})
        _require(set(map(len, terms)) == {len(TERM_KEYS)})
        _strings(list(map(itemgetter("label"), terms)))
        _scalars(list(map(itemgetter("value"), terms)))
