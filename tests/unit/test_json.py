"""The JSON export: round trip, schema validity, NaN/inf, detail levels, large models."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pytest

import bptrace
from bptrace.model import jsonio
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.model.trace import SCALAR_LIMIT
from bptrace.tracer.api import trace_spec

BATCH_TEXT = """\
layers = [3, 4, 2]
activation = "tanh"
output_activation = "sigmoid"
loss = "mse"
inputs = [[0.1, 0.2, 0.3], [-0.5, 0.0, 0.7], [1.0, -1.0, 0.5]]
targets = [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]
seed = 3
"""
CE_TEXT = """\
layers = [2, 3, 3]
activation = "relu"
output_activation = "identity"
loss = "cross_entropy"
inputs = [[0.3, -0.2], [0.9, 0.4]]
targets = [2, 0]
seed = 1
"""
CE_PROBS_TEXT = CE_TEXT.replace("targets = [2, 0]", "targets = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]")
SPECS = {
    "classic": (CLASSIC_TEXT, 0),
    "batch": (BATCH_TEXT, 0),
    "ce_indices": (CE_TEXT, 0),
    "ce_probabilities": (CE_PROBS_TEXT, 0),
    "epochs": (CLASSIC_TEXT, 5),
    "batch_epochs": (BATCH_TEXT, 3),
}


def traced(key: str) -> bptrace.Trace:
    text, epochs = SPECS[key]
    return trace_spec(parse_spec_text(text, key), epochs)


def big_spec(n_in: int = 100, hidden: int = 100, n_out: int = 10) -> str:
    inputs = ", ".join(f"{(k % 7) / 7:.3f}" for k in range(n_in))
    targets = ", ".join("0.5" for _ in range(n_out))
    return (
        f'layers = [{n_in}, {hidden}, {n_out}]\nactivation = "relu"\nloss = "mse"\n'
        f"inputs = [{inputs}]\ntargets = [{targets}]\nseed = 5\n"
    )


@pytest.mark.parametrize("key", SPECS)
@pytest.mark.parametrize("detail", ["auto", "scalars", "tensors"])
def test_round_trip(tmp_path: Path, key: str, detail: str) -> None:
    tr = traced(key)
    path = tmp_path / "trace.json"
    jsonio.write_atomic(path, jsonio.dumps(tr, detail))
    back = bptrace.load_trace(path)
    assert back == tr
    assert back.to_dict(detail) == tr.to_dict(detail)
    assert back.to_dict("scalars") == tr.to_dict("scalars")
    assert json.loads(path.read_text(encoding="utf-8")) == tr.to_dict(detail)
    if tr.training is not None:
        assert back.training is not None
        assert back.training.loss == tr.training.loss
        assert np.array_equal(back.training.output, tr.training.output)


@pytest.mark.parametrize("key", SPECS)
@pytest.mark.parametrize("detail", ["scalars", "tensors"])
def test_schema_validity(key: str, detail: str) -> None:
    doc = json.loads(jsonio.dumps(traced(key), detail))
    jsonschema.Draft202012Validator.check_schema(jsonio.schema())
    jsonschema.validate(doc, jsonio.schema(), cls=jsonschema.Draft202012Validator)
    jsonio.validate(doc)
    assert doc["format"] == "bptrace.trace" and isinstance(doc["version"], int)


def test_document_shape(classic_trace) -> None:
    doc = classic_trace.to_dict()
    assert list(doc)[:3] == ["format", "version", "network"]
    for name, node in doc["nodes"].items():
        assert {"kind", "value", "grad"} <= set(node), name
    for name in (f"w{k}" for k in range(1, 9)):
        assert "updated" in doc["nodes"][name]
    for step in doc["steps"]:
        assert step["phase"] in ("forward", "backward", "update")
        assert {"node", "formula", "substituted", "value"} <= set(step)
        if step["phase"] == "backward":
            assert {"factors", "autograd"} <= set(step)
    assert doc["network"]["dtype"] == "float64"
    # deterministic text: two exports are byte-identical
    assert jsonio.dumps(classic_trace) == jsonio.dumps(classic_trace)


def test_full_float_precision(classic_trace) -> None:
    text = jsonio.dumps(classic_trace)
    assert "0.08216704056423077" in text
    assert "0.2983711087600027" in text


def test_epochs_export(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "--epochs", "4")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    jsonio.validate(doc)
    training = doc["training"]
    assert training["epochs"] == 4 and len(training["loss"]) == 5
    assert {"w1", "w8", "b1", "b4", "o1", "o2"} <= set(training["final"])
    assert doc["nodes"]["w5"]["grad"] == pytest.approx(0.08216704056423077, abs=1e-12)


def test_detail_tensors_has_no_scalars(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "--detail", "tensors")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    jsonio.validate(doc)
    assert doc["detail"] == "tensors"
    assert doc["nodes"] == {} and doc["steps"] == []
    layer = doc["tensors"]["layers"][1]
    assert layer["weight"]["grad"][0][0] == pytest.approx(0.08216704056423077, abs=1e-12)
    back = jsonio.trace_from_dict(doc)
    assert back["w5"].grad == pytest.approx(0.08216704056423077, abs=1e-12)


def test_detail_scalars_by_default_for_small(cli) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(cli("export").out)
    assert doc["detail"] == "scalars"
    assert len(doc["steps"]) > 0 and "w8" in doc["nodes"]


def test_large_model_defaults_to_tensors(cli, write_spec) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(big_spec())
    tr = trace_spec(parse_spec_text(big_spec(), "big"))
    assert tr.scalar_count() > SCALAR_LIMIT
    result = cli("export", "--spec", str(spec))
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    jsonio.validate(doc)
    assert doc["detail"] == "tensors"
    assert doc["nodes"] == {} and doc["steps"] == []
    # per-layer tensors are always there
    assert len(doc["tensors"]["layers"][0]["weight"]["value"]) == 100


def test_just_under_the_limit_is_scalars() -> None:
    text = big_spec(n_in=10, hidden=10, n_out=2)
    tr = trace_spec(parse_spec_text(text, "small"))
    assert tr.scalar_count() <= SCALAR_LIMIT
    assert tr.to_dict()["detail"] == "scalars"


def test_nan_and_inf_are_encoded(tmp_path: Path) -> None:
    tr = traced("classic")
    tr.loss = math.inf
    tr.layers[0].pre[0, 0] = math.nan
    tr.layers[1].weight.grad[0, 1] = -math.inf
    text = jsonio.dumps(tr, "tensors")
    json.loads(text)  # strict JSON: no bare NaN/Infinity tokens
    assert "NaN" not in text and "Infinity" not in text
    doc = json.loads(text)
    assert doc["tensors"]["loss"] == "inf"
    assert doc["tensors"]["layers"][0]["pre"]["value"][0][0] == "nan"
    assert doc["tensors"]["layers"][1]["weight"]["grad"][0][1] == "-inf"
    jsonio.validate(doc)
    path = tmp_path / "nonfinite.json"
    jsonio.write_atomic(path, text)
    back = bptrace.load_trace(path)
    assert math.isinf(back.loss) and math.isnan(back.layers[0].pre[0, 0])
    assert back.layers[1].weight.grad[0, 1] == -math.inf
    assert back == tr


def test_load_trace_never_needs_torch_objects(tmp_path: Path, classic_trace) -> None:
    path = tmp_path / "t.json"
    jsonio.write_atomic(path, jsonio.dumps(classic_trace))
    back = jsonio.load_trace(path)
    assert isinstance(back.layers[0].weight.value, np.ndarray)
    step = next(s for s in back.steps if s.phase == "backward" and s.node == "w5")
    assert step.agrees is True


def test_write_atomic_leaves_no_temp_files(tmp_path: Path, classic_trace) -> None:
    path = tmp_path / "out.json"
    path.write_text("old", encoding="utf-8")
    jsonio.write_atomic(path, jsonio.dumps(classic_trace))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    assert json.loads(path.read_text(encoding="utf-8"))["format"] == "bptrace.trace"
