"""Spec loading (seeded initialisation, activation lists, batches, frozen biases) and import
hygiene (the model package and ``load_trace`` never import torch or textual)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

import bptrace
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tracer.api import trace_spec

NO_WEIGHTS = """\
layers = [3, 4, 3, 2]
activation = ["tanh", "relu"]
output_activation = "sigmoid"
loss = "bce"
lr = 0.1
inputs = [[0.1, 0.2, 0.3], [0.4, -0.5, 0.6]]
targets = [[0.0, 1.0], [1.0, 0.0]]
seed = {seed}
"""


def test_seeded_initialisation_is_deterministic(write_spec) -> None:  # type: ignore[no-untyped-def]
    a = bptrace.trace(*bptrace.load_spec(write_spec(NO_WEIGHTS.format(seed=11), "a.toml"))[:4])
    b = bptrace.trace(*bptrace.load_spec(write_spec(NO_WEIGHTS.format(seed=11), "b.toml"))[:4])
    c = bptrace.trace(*bptrace.load_spec(write_spec(NO_WEIGHTS.format(seed=12), "c.toml"))[:4])
    assert a == b and a.to_dict() == b.to_dict()
    assert a != c
    assert a["w1"].value != c["w1"].value


def test_load_spec_returns_a_torch_example(write_spec) -> None:  # type: ignore[no-untyped-def]
    model, inputs, targets, loss_fn, spec = bptrace.load_spec(write_spec(NO_WEIGHTS.format(seed=0)))
    assert isinstance(model, nn.Module) and isinstance(loss_fn, nn.BCELoss)
    assert inputs.shape == (2, 3) and targets.shape == (2, 2)
    assert inputs.dtype == torch.float64
    assert spec.lr == 0.1 and spec.seed == 0


def test_activation_list_per_hidden_layer() -> None:
    tr = trace_spec(parse_spec_text(NO_WEIGHTS.format(seed=0), "acts"))
    assert [a.name for a in tr.network.activations] == ["tanh", "relu", "sigmoid"]
    assert tr.network.sizes == (3, 4, 3, 2)
    assert tr.network.loss.name == "bce"
    assert all(s.agrees for s in tr.steps if s.phase == "backward")


def test_batch_of_samples() -> None:
    tr = trace_spec(parse_spec_text(NO_WEIGHTS.format(seed=0), "batch"))
    assert tr.network.batch == 2
    assert tr["i2"].value == [0.2, -0.5]
    assert isinstance(tr["h1"].value, list) and len(tr["h1"].value) == 2
    assert isinstance(tr["w1"].value, float) and isinstance(tr["loss"].value, float)
    assert isinstance(tr["o2"].grad, list)


def test_single_sample_values_are_scalars(classic_trace) -> None:
    assert isinstance(classic_trace["h1"].value, float)


@pytest.mark.parametrize("flag", [False, True])
def test_train_biases(flag: bool) -> None:
    text = CLASSIC_TEXT.replace("train_biases = true", f"train_biases = {str(flag).lower()}")
    tr = trace_spec(parse_spec_text(text, "biases"))
    update_nodes = {s.node for s in tr.steps if s.phase == "update"}
    assert {f"w{k}" for k in range(1, 9)} <= update_nodes
    for k in range(1, 5):
        node = tr[f"b{k}"]
        assert node.trainable is flag
        if flag:
            assert f"b{k}" in update_nodes
            assert node.updated == pytest.approx(node.value - 0.5 * node.grad, abs=1e-15)
        else:
            assert f"b{k}" not in update_nodes
            assert node.updated == node.value
    # the gradient of a frozen bias is still reported (it is a fact of the network)
    assert tr["b3"].grad == pytest.approx(0.13849856162855695, abs=1e-12)


def test_frozen_biases_in_export(cli, write_spec) -> None:  # type: ignore[no-untyped-def]
    import json

    spec = write_spec(CLASSIC_TEXT.replace("train_biases = true", "train_biases = false"))
    doc = json.loads(cli("export", "--spec", str(spec)).out)
    assert doc["nodes"]["b1"]["updated"] == doc["nodes"]["b1"]["value"] == 0.35
    assert doc["nodes"]["b1"]["trainable"] is False
    assert not any(s["phase"] == "update" and s["node"].startswith("b") for s in doc["steps"])


def test_spec_defaults() -> None:
    spec = parse_spec_text("layers = [2, 1]\ninputs = [1.0, 2.0]\ntargets = [0.5]\n", "min")
    assert spec.activations == () and spec.output_activation == "sigmoid"
    assert spec.loss == "mse" and spec.lr == 0.5 and spec.train_biases is True and spec.seed == 0


def test_cross_entropy_targets() -> None:
    base = 'layers = [2, 3]\noutput_activation = "identity"\nloss = "cross_entropy"\n'
    one = parse_spec_text(base + "inputs = [0.1, 0.2]\ntargets = [2]\n", "ce")
    assert one.targets == [2]
    many = parse_spec_text(base + "inputs = [[0.1, 0.2], [0.3, 0.4]]\ntargets = [0, 1]\n", "ce")
    assert many.targets == [0, 1]
    probs = parse_spec_text(base + "inputs = [0.1, 0.2]\ntargets = [0.2, 0.3, 0.5]\n", "ce")
    assert probs.targets == [[0.2, 0.3, 0.5]]
    tr = trace_spec(many)
    assert tr.network.loss.target_kind == "indices"
    assert all(s.agrees for s in tr.steps if s.phase == "backward")


IMPORT_CHECK = """
import sys
import bptrace
import bptrace.model
import bptrace.model.describe, bptrace.model.errors, bptrace.model.fmt, bptrace.model.formulas
import bptrace.model.jsonio, bptrace.model.names, bptrace.model.network, bptrace.model.spec
import bptrace.model.steps, bptrace.model.trace
from bptrace.model.jsonio import load_trace
from bptrace import load_trace as lazy_load_trace
import pkgutil, importlib
for info in pkgutil.iter_modules(bptrace.model.__path__):
    importlib.import_module("bptrace.model." + info.name)
tr = load_trace(sys.argv[1])
assert tr["w5"].grad > 0.08
steps = list(tr.steps)
assert all(s.agrees for s in steps if s.phase == "backward")
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "textual"))
print("LOADED:" + ",".join(bad))
"""


def test_model_package_and_load_trace_import_neither_torch_nor_textual(
    tmp_path, classic_trace
) -> None:  # type: ignore[no-untyped-def]
    from bptrace.model.jsonio import dumps, write_atomic

    path = tmp_path / "t.json"
    write_atomic(path, dumps(classic_trace))
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, str(path)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "LOADED:", proc.stdout


def test_a_seed_beyond_torchs_range_is_refused_in_one_line(write_spec, cli) -> None:  # type: ignore[no-untyped-def]
    """torch seeds a generator with a 64-bit number: 2**64 - 1 works; 2**64 and more crashed
    with a ValueError from torch.Generator.manual_seed, and are now refused by name."""
    from bptrace_test_helpers import assert_one_error_line

    largest = bptrace.load_spec(write_spec(NO_WEIGHTS.format(seed=2**64 - 1), "ok.toml"))
    assert largest[4].seed == 18446744073709551615
    path = write_spec(NO_WEIGHTS.format(seed=99999999999999999999), "big.toml")
    assert_one_error_line(
        cli("export", "--spec", str(path)),
        "big.toml: seed: must be below 2**64 (torch's seed range), got 99999999999999999999",
    )
