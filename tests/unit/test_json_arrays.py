"""Reading an export back: the big arrays are checked by type and shape in numpy, and a wrong
one is refused in one line naming its key; steps and nodes in an unusual form go to the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bptrace.model import jsonio
from bptrace.model.errors import BptraceError


@pytest.fixture(scope="module")
def doc(classic_trace) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return json.loads(jsonio.dumps(classic_trace, "scalars"))


def refused(doc: dict[str, Any], change: Callable[[dict[str, Any]], None], tmp_path: Path) -> str:
    bad = json.loads(json.dumps(doc))
    change(bad)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(BptraceError) as err:
        jsonio.load_trace(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: invalid trace at ")
    return message


def layer(d: dict[str, Any], k: int) -> dict[str, Any]:
    out: dict[str, Any] = d["tensors"]["layers"][k]
    return out


ARRAY_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "string in a matrix": (
        lambda d: layer(d, 0)["weight"]["value"][1].__setitem__(0, "0.5"),
        "tensors/layers/0/weight/value",
        '"0.5"',
    ),
    "boolean in a matrix": (
        lambda d: layer(d, 1)["pre"]["grad"][0].__setitem__(1, True),
        "tensors/layers/1/pre/grad",
        "a boolean",
    ),
    "null in a vector": (
        lambda d: layer(d, 1)["bias"]["updated"].__setitem__(0, None),
        "tensors/layers/1/bias/updated",
        "null",
    ),
    "ragged matrix": (
        lambda d: layer(d, 0)["post"]["value"].append([0.1]),
        "tensors/layers/0/post/value",
        "rows of different lengths",
    ),
    "vector where a matrix goes": (
        lambda d: d["tensors"]["input"].__setitem__("value", [0.05, 0.1]),
        "tensors/input/value",
        "a row that is not a list",
    ),
    "matrix where a vector goes": (
        lambda d: layer(d, 0)["bias"].__setitem__("grad", [[0.1], [0.2]]),
        "tensors/layers/0/bias/grad",
        "2 levels of lists",
    ),
    "object where a matrix goes": (
        lambda d: layer(d, 1)["weight"].__setitem__("grad", {"rows": 2}),
        "tensors/layers/1/weight/grad",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(ARRAY_CASES))
def test_wrong_array_is_refused_naming_its_key(doc, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    change, key, detail = ARRAY_CASES[case]
    message = refused(doc, change, tmp_path)
    assert f"invalid trace at {key}" in message, message
    assert detail in message, message


STEP_CASES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "factor value a string": (
        lambda d: d["steps"][12]["factors"][0].__setitem__("value", "big"),
        "steps/12/factors/0/value",
    ),
    "backward step without autograd": (
        lambda d: d["steps"][12].pop("autograd"),
        "steps/12",
    ),
    "extra field in a step": (lambda d: d["steps"][3].__setitem__("colour", "red"), "steps/3"),
    "node kind unknown": (
        lambda d: d["nodes"]["w5"].__setitem__("kind", "weights"),
        "nodes/w5/kind",
    ),
    "negative term": (
        lambda d: d["steps"][12]["factors"][1].__setitem__("term", -1),
        "steps/12/factors/1/term",
    ),
    "bad node name": (lambda d: d["nodes"].__setitem__("x1", d["nodes"]["w1"]), "nodes"),
}


@pytest.mark.parametrize("case", sorted(STEP_CASES))
def test_unusual_steps_and_nodes_get_the_schema_verdict(doc, tmp_path: Path, case: str) -> None:  # type: ignore[no-untyped-def]
    change, where = STEP_CASES[case]
    assert f"invalid trace at {where}" in refused(doc, change, tmp_path)


def test_valid_but_unusual_form_is_accepted(doc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    odd = json.loads(json.dumps(doc))
    step = odd["steps"][12]
    odd["steps"][12] = dict(reversed(list(step.items())))  # another key order
    odd["steps"][12]["factors"][0]["term"] = 0.0  # an integer written as 0.0 (JSON Schema: valid)
    odd["nodes"]["w1"]["value"] = 1  # an integer is a number
    path = tmp_path / "odd.json"
    path.write_text(json.dumps(odd), encoding="utf-8")
    back = jsonio.load_trace(path)
    assert back.layers[0].weight.value[0, 0] == 0.15  # type: ignore[union-attr]


def test_round_trip_of_nan_and_inf_through_numpy(classic_trace, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(jsonio.dumps(classic_trace, "tensors"))
    doc["tensors"]["layers"][0]["post"]["grad"][0] = ["nan", "-inf"]
    path = tmp_path / "nan.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    back = jsonio.load_trace(path)
    grad = back.layers[0].post_grad  # type: ignore[union-attr]
    assert str(grad[0, 0]) == "nan" and grad[0, 1] == float("-inf")
