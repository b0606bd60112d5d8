"""Gradient health, the any-model dispatch, the built-in examples, and the module JSON export."""

from __future__ import annotations

import json
import math
from pathlib import Path

import jsonschema
import pytest
import torch
from torch import nn

from bptrace.model.health import DEAD_FRACTION, EXPLODING_RATIO, VANISHING_RATIO, check
from bptrace.model.jsonio import dumps, load_trace, schema
from bptrace.model.modules import ModuleTrace
from bptrace.model.trace import Trace
from bptrace.tracer.api import trace_any, trace_example, trace_example_any
from bptrace.tracer.modules import trace_modules

D = torch.float64


def kinds(flags: list, node: str) -> set[str]:  # type: ignore[type-arg]
    return {f.kind for f in flags if f.node == node}


def test_deep_sigmoid_vanishes_early_not_late() -> None:
    tr = trace_example_any("deep-sigmoid")
    assert isinstance(tr, Trace)  # an MLP: the per-neuron view stays
    flags = check(tr)
    assert kinds(flags, "layer 1") == {"vanishing"}
    assert kinds(flags, "layer 10") == set()
    ratios = [f.value for f in flags if f.kind == "vanishing"]
    assert ratios[0] < ratios[-1] < VANISHING_RATIO  # smaller the further from the loss


def test_deep_sigmoid_as_module_trace_flags_the_same_weights() -> None:
    (model, x, t, loss), _ = __import__("bptrace.tracer.examples", fromlist=["x"]).example(
        "deep-sigmoid"
    )
    flags = check(trace_modules(model, x, t, loss))
    assert kinds(flags, "0.weight") == {"vanishing"}
    assert kinds(flags, "18.weight") == set()
    assert {f.module for f in flags if f.node == "0.weight"} == {"0"}


def test_dead_relu_flagged_in_both_views() -> None:
    tr = trace_example("dead-relu")
    dead = [f for f in check(tr) if f.kind == "dead"]
    assert dead and dead[0].node == "layer 1" and dead[0].value >= DEAD_FRACTION
    (model, x, t, loss), _ = __import__("bptrace.tracer.examples", fromlist=["x"]).example(
        "dead-relu"
    )
    mt = trace_modules(model, x, t, loss)
    assert mt.call("1").dead == pytest.approx(14 / 16)
    assert "dead" in kinds(check(mt), "1")


def test_nan_in_inputs_and_weights_is_traced_and_flagged() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=D), nn.Flatten(), nn.Linear(8, 1, dtype=D))
    x = torch.ones(1, 1, 4, 4, dtype=D)
    x[0, 0, 0, 0] = math.nan
    tr = trace_modules(model, x, torch.zeros(1, 1, dtype=D), nn.MSELoss())
    assert math.isnan(tr.loss)
    flags = check(tr)
    assert "nonfinite" in kinds(flags, "input") and "nonfinite" in kinds(flags, "0")
    assert flags[0].kind == "nonfinite" and flags[0].severity == "error"
    with torch.no_grad():
        model[2].weight[0, 0] = math.inf
    tr = trace_modules(
        model, torch.ones(1, 1, 4, 4, dtype=D), torch.zeros(1, 1, dtype=D), nn.MSELoss()
    )
    assert "nonfinite" in kinds(check(tr), "2.weight")
    json.loads(dumps(tr))  # exports: NaN/inf as strings, valid JSON


def test_nan_in_an_mlp_is_flagged() -> None:
    model = nn.Sequential(nn.Linear(2, 2, dtype=D), nn.Sigmoid())
    tr = trace_any(
        model, torch.tensor([[math.inf, 1.0]], dtype=D), torch.zeros(1, 2, dtype=D), nn.MSELoss()
    )
    assert isinstance(tr, Trace)
    assert "nonfinite" in kinds(check(tr), "input")


def test_exploding_flagged() -> None:
    model = nn.Sequential(nn.Linear(3, 3, dtype=D), nn.Linear(3, 1, dtype=D))
    x = torch.full((4, 3), 1e4, dtype=D)
    tr = trace_modules(model, x, torch.zeros(4, 1, dtype=D), nn.MSELoss(reduction="sum"))
    flags = [f for f in check(tr) if f.kind == "exploding"]
    assert flags and all(f.value > EXPLODING_RATIO for f in flags)


def test_healthy_examples_have_no_flags() -> None:
    assert check(trace_example_any("classic")) == []
    assert check(trace_example_any("small-cnn")) == []


def test_dispatch_mlp_versus_modules() -> None:
    assert isinstance(trace_example_any("classic"), Trace)
    assert isinstance(trace_example_any("small-cnn"), ModuleTrace)
    with pytest.raises(Exception, match="not an MLP"):
        trace_example("small-cnn")
    model = nn.Sequential(nn.Linear(2, 3, dtype=D))
    loss = nn.CrossEntropyLoss(label_smoothing=0.1)  # the MLP trace refuses this option
    tr = trace_any(model, torch.ones(2, 2, dtype=D), torch.tensor([0, 2]), loss)
    assert isinstance(tr, ModuleTrace)
    assert any("no per-neuron view" in w and "label_smoothing" in w for w in tr.warnings)


def test_dispatch_keeps_batchnorm_of_an_mlp_like_model() -> None:
    model = nn.Sequential(nn.Linear(2, 3, dtype=D), nn.BatchNorm1d(3, dtype=D), nn.ReLU())
    before = model[1].running_mean.clone()
    tr = trace_any(model, torch.randn(4, 2, dtype=D), torch.zeros(4, 3, dtype=D), nn.MSELoss())
    assert isinstance(tr, ModuleTrace)
    assert torch.equal(model[1].running_mean, before)


def test_module_export_round_trip_and_schema(tmp_path: Path) -> None:
    tr = trace_example_any("small-cnn")
    assert isinstance(tr, ModuleTrace)
    text = dumps(tr)
    doc = json.loads(text)
    assert (doc["format"], doc["version"], doc["kind"]) == ("bptrace.trace", 1, "modules")
    jsonschema.Draft202012Validator(schema()).validate(doc)
    path = tmp_path / "cnn.json"
    path.write_text(text, encoding="utf-8")
    back = load_trace(path)
    assert isinstance(back, ModuleTrace) and back == tr
    assert dumps(back) == text


def test_mlp_export_has_no_kind_and_still_validates() -> None:
    doc = json.loads(dumps(trace_example_any("classic")))
    assert "kind" not in doc
    jsonschema.Draft202012Validator(schema()).validate(doc)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["calls"][0].__setitem__("index", "1"), "invalid trace at calls/0/index"),
        (lambda d: d.__setitem__("version", 2), "unsupported trace version 2"),
        (lambda d: d["params"][0]["value"].__setitem__("data", [1.0]), "elements for shape"),
        (lambda d: d["modules"][0]["calls"].append("nope"), "unknown call 'nope'"),
        (lambda d: d.__setitem__("extra", 1), "invalid trace"),
    ],
)
def test_module_export_bad_documents_refused(tmp_path: Path, change, message: str) -> None:  # type: ignore[no-untyped-def]
    from bptrace.model.errors import BptraceError

    doc = json.loads(dumps(trace_example_any("small-cnn")))
    change(doc)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BptraceError, match=message):
        load_trace(path)


def test_explain_module_names(cli) -> None:  # type: ignore[no-untyped-def]
    r = cli("explain", "2", "--example", "small-cnn")
    assert r.code == 0 and "call 2 (ReLU)" in r.out and "∂loss/∂output" in r.out
    r = cli("explain", "0.weight", "--example", "small-cnn")
    assert r.code == 0 and "parameter 0.weight of 0" in r.out and "after SGD" in r.out
    r = cli("explain", "w1", "--example", "dead-relu")
    assert r.code == 0 and "○ layer 1: dead ReLU units" in r.out
    r = cli("explain", "nope", "--example", "small-cnn")
    assert r.code == 2 and r.err.startswith("bptrace: error: unknown name 'nope'")


def test_list_examples_has_the_new_ones(cli) -> None:  # type: ignore[no-untyped-def]
    out = cli("--list-examples").out
    for name in ("small-cnn", "deep-sigmoid", "dead-relu"):
        assert name in out
