"""Every number of the reference table in shared/seed/NOTES.md, from trace() and from the JSON.

The numbers are written out in full here (recomputed in float64 with torch); the trace must
reproduce them to 1e-12, and Mazur's training runs to 1e-6 relative.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

import bptrace
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tracer.api import trace_spec

TOL = 1e-12

# (name, value, gradient ∂loss/∂name) from the reference table.
FORWARD = {
    "l1": 0.3775,
    "l2": 0.3925,
    "h1": 0.5932699921071872,
    "h2": 0.596884378259767,
    "l3": 1.10590596705977,
    "l4": 1.2249214040964653,
    "o1": 0.7513650695523157,
    "o2": 0.7729284653214625,
    "loss": 0.2983711087600027,
}
GRADS = {
    "o1": 0.7413650695523157,
    "o2": -0.21707153467853746,
    "l3": 0.13849856162855695,
    "l4": -0.03809823651655623,
    "h1": 0.03635030639314467,
    "h2": 0.0413703226487447,
    "l1": 0.008771354689486933,
    "l2": 0.009954254705217198,
    "w1": 0.0004385677344743467,
    "w2": 0.0008771354689486934,
    "w3": 0.0004977127352608599,
    "w4": 0.0009954254705217198,
    "w5": 0.08216704056423077,
    "w6": 0.08266762784753325,
    "w7": -0.022602540477475067,
    "w8": -0.02274024221597822,
    "b1": 0.008771354689486933,
    "b2": 0.009954254705217198,
    "b3": 0.13849856162855695,
    "b4": -0.03809823651655623,
}
UPDATED = {  # after one SGD step, lr 0.5
    "w1": 0.1497807161327628,
    "w2": 0.19956143226552567,
    "w3": 0.24975114363236958,
    "w4": 0.29950228726473915,
    "w5": 0.35891647971788465,
    "w6": 0.4086661860762334,
    "w7": 0.5113012702387375,
    "w8": 0.5613701211079891,
}
PARAMS = {
    "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55,
    "b1": 0.35, "b2": 0.35, "b3": 0.60, "b4": 0.60,
}  # fmt: skip
VIA_L3 = 0.055399425  # δ3·w5, per-path piece of ∂loss/∂h1 (NOTES: 0.055399425)
VIA_L4 = -0.019049119  # δ4·w7

# Mazur's training runs: SGD lr 0.5 on the single sample.
FROZEN_ONE_STEP = 0.29102777369359933
FROZEN_10K = 3.510187782978859e-05
FROZEN_10K_OUTPUTS = (0.01591362044355068, 0.9840642735146238)
TRAINABLE_ONE_STEP = 0.28047144679143016
TRAINABLE_10K = 2.4475622359322627e-06

# The seed's mistakes (E1, E2): numbers the tool must NOT produce.
SEED_WRONG_LOSS = 0.32193113434385046
SEED_WRONG_W1_GRAD = 0.000416631
CORRECT_W1_GRAD = 0.000438568


def classic_spec(train_biases: bool):  # type: ignore[no-untyped-def]
    flag = "true" if train_biases else "false"
    text = CLASSIC_TEXT.replace("train_biases = true", f"train_biases = {flag}")
    assert f"train_biases = {flag}" in text
    return parse_spec_text(text, "classic")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict:  # type: ignore[type-arg]
    """The classic trace exported by the CLI (in-process) to a file and parsed back."""
    from bptrace.cli import main

    out = tmp_path_factory.mktemp("export") / "classic.json"
    assert main(["export", "-o", str(out)]) == 0
    doc: dict = json.loads(out.read_text(encoding="utf-8"))  # type: ignore[type-arg]
    return doc


# -- trace() ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), FORWARD.items())
def test_forward_values_from_trace(classic_trace, name: str, value: float) -> None:
    assert classic_trace[name].value == pytest.approx(value, abs=TOL, rel=0)


@pytest.mark.parametrize(("name", "grad"), GRADS.items())
def test_gradients_from_trace(classic_trace, name: str, grad: float) -> None:
    assert classic_trace[name].grad == pytest.approx(grad, abs=TOL, rel=0)


@pytest.mark.parametrize(("name", "updated"), UPDATED.items())
def test_updates_from_trace(classic_trace, name: str, updated: float) -> None:
    node = classic_trace[name]
    assert node.updated == pytest.approx(updated, abs=TOL, rel=0)
    assert node.updated == pytest.approx(node.value - 0.5 * node.grad, abs=TOL, rel=0)


@pytest.mark.parametrize(("name", "value"), PARAMS.items())
def test_parameters_from_trace(classic_trace, name: str, value: float) -> None:
    assert classic_trace[name].value == value


def test_inputs_and_targets(classic_trace) -> None:
    assert classic_trace["i1"].value == 0.05
    assert classic_trace["i2"].value == 0.10
    assert classic_trace["t1"].value == 0.01
    assert classic_trace["t2"].value == 0.99


def test_network_description(classic_trace) -> None:
    net = classic_trace.network
    assert net.sizes == (2, 2, 2)
    assert net.dtype == "float64"
    assert [a.name for a in net.activations] == ["sigmoid", "sigmoid"]
    assert net.loss.name == "mse" and net.loss.reduction == "mean"
    assert net.lr == 0.5 and net.batch == 1


def test_every_backward_step_agrees(classic_trace) -> None:
    backward = [s for s in classic_trace.steps if s.phase == "backward"]
    assert {s.node for s in backward} >= set(GRADS) | {"i1", "i2"}
    assert all(s.agrees for s in backward)
    for step in backward:
        assert step.value == pytest.approx(step.autograd, rel=1e-9, abs=1e-15)


def test_backward_step_values_match_reference(classic_trace) -> None:
    steps = {s.node: s for s in classic_trace.steps if s.phase == "backward"}
    for name, grad in GRADS.items():
        assert steps[name].autograd == pytest.approx(grad, abs=TOL, rel=0), name
        assert steps[name].value == pytest.approx(grad, abs=TOL, rel=0), name


def test_w5_step_is_the_textbook_chain(classic_trace) -> None:
    step = next(s for s in classic_trace.steps if s.phase == "backward" and s.node == "w5")
    assert [f.name for f in step.factors] == ["∂loss/∂o1", "∂o1/∂l3", "∂l3/∂w5"]
    assert [f.formula for f in step.factors] == ["(o1 − t1)", "o1(1 − o1)", "h1"]
    o1, h1 = FORWARD["o1"], FORWARD["h1"]
    expected = [o1 - 0.01, o1 * (1 - o1), h1]
    for factor, want in zip(step.factors, expected, strict=True):
        assert factor.value == pytest.approx(want, abs=TOL, rel=0)
    assert "0.741365 × 0.186816 × 0.593270" in step.substituted
    assert step.agrees is True


def test_per_path_pieces_of_dloss_dh1(classic_trace) -> None:
    step = next(s for s in classic_trace.steps if s.phase == "backward" and s.node == "h1")
    terms = {t.label: t.value for t in step.terms}
    assert set(terms) == {"via l3", "via l4"}
    # against NOTES (given to 9 digits) ...
    assert terms["via l3"] == pytest.approx(VIA_L3, abs=1e-9)
    assert terms["via l4"] == pytest.approx(VIA_L4, abs=1e-9)
    # ... and against torch: δ3·w5 and δ4·w7 from autograd and the model's weights
    model, inputs, targets, loss_fn = bptrace.classic()
    out3_pre = None

    def keep(_m, _i, out):  # type: ignore[no-untyped-def]
        nonlocal out3_pre
        out3_pre = out
        out.retain_grad()

    handle = model[2].register_forward_hook(keep)
    try:
        loss_fn(model(inputs), targets).backward()
    finally:
        handle.remove()
    assert out3_pre is not None and out3_pre.grad is not None
    delta = out3_pre.grad[0]
    w = model[2].weight.detach()
    assert terms["via l3"] == pytest.approx(float(delta[0] * w[0, 0]), abs=1e-12)
    assert terms["via l4"] == pytest.approx(float(delta[1] * w[1, 0]), abs=1e-12)
    assert sum(terms.values()) == pytest.approx(GRADS["h1"], abs=TOL)


# -- the seed's mistakes, not repeated --------------------------------------------------------


def test_e1_loss_is_the_true_half_sum(classic_trace) -> None:
    o1, o2 = FORWARD["o1"], FORWARD["o2"]
    assert classic_trace.loss == pytest.approx(FORWARD["loss"], abs=TOL, rel=0)
    assert classic_trace.loss == pytest.approx(0.5 * ((o1 - 0.01) ** 2 + (o2 - 0.99) ** 2), abs=TOL)
    assert abs(classic_trace.loss - SEED_WRONG_LOSS) > 1e-3


def test_e2_w1_gradient_uses_h1_times_one_minus_h1(classic_trace) -> None:
    assert classic_trace["w1"].grad == pytest.approx(CORRECT_W1_GRAD, abs=5e-10)
    assert abs(classic_trace["w1"].grad - SEED_WRONG_W1_GRAD) > 1e-5
    step = next(s for s in classic_trace.steps if s.phase == "backward" and s.node == "w1")
    h1 = FORWARD["h1"]
    local = next(f for f in step.factors if f.name == "∂h1/∂l1")
    assert local.formula == "h1(1 − h1)"
    assert local.value == pytest.approx(h1 * (1 - h1), abs=TOL)
    sigma_h1 = 1 / (1 + math.exp(-h1))
    assert abs(local.value - sigma_h1 * (1 - sigma_h1)) > 1e-3  # the seed's mistake


# -- the exported JSON ------------------------------------------------------------------------


def test_export_forward_values(exported: dict) -> None:  # type: ignore[type-arg]
    nodes = exported["nodes"]
    for name, value in FORWARD.items():
        assert nodes[name]["value"] == pytest.approx(value, abs=TOL, rel=0), name
    assert exported["tensors"]["loss"] == pytest.approx(FORWARD["loss"], abs=TOL, rel=0)


def test_export_gradients_and_updates(exported: dict) -> None:  # type: ignore[type-arg]
    nodes = exported["nodes"]
    for name, grad in GRADS.items():
        assert nodes[name]["grad"] == pytest.approx(grad, abs=TOL, rel=0), name
    for name, updated in UPDATED.items():
        assert nodes[name]["updated"] == pytest.approx(updated, abs=TOL, rel=0), name
    for name, value in PARAMS.items():
        assert nodes[name]["value"] == value


def test_export_steps(exported: dict) -> None:  # type: ignore[type-arg]
    backward = {s["node"]: s for s in exported["steps"] if s["phase"] == "backward"}
    for name, grad in GRADS.items():
        assert backward[name]["autograd"] == pytest.approx(grad, abs=TOL, rel=0), name
        assert backward[name]["value"] == pytest.approx(grad, abs=TOL, rel=0), name
        assert backward[name]["agrees"] is True
    terms = {t["label"]: t["value"] for t in backward["h1"]["terms"]}
    assert terms["via l3"] == pytest.approx(VIA_L3, abs=1e-9)
    assert terms["via l4"] == pytest.approx(VIA_L4, abs=1e-9)
    forward = {s["node"]: s for s in exported["steps"] if s["phase"] == "forward"}
    for name, value in FORWARD.items():
        assert forward[name]["value"] == pytest.approx(value, abs=TOL, rel=0), name
    update = {s["node"]: s for s in exported["steps"] if s["phase"] == "update"}
    for name, value in UPDATED.items():
        assert update[name]["value"] == pytest.approx(value, abs=TOL, rel=0), name


def test_export_to_stdout_matches_file(cli, exported: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    result = cli("export")
    assert result.code == 0 and result.err == ""
    assert json.loads(result.out) == exported


# -- training ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def frozen_10k():  # type: ignore[no-untyped-def]
    return trace_spec(classic_spec(train_biases=False), 10_000)


@pytest.fixture(scope="module")
def trainable_10k():  # type: ignore[no-untyped-def]
    return trace_spec(classic_spec(train_biases=True), 10_000)


def test_mazur_frozen_biases_10k(frozen_10k) -> None:
    training = frozen_10k.training
    assert training.epochs == 10_000 and len(training.loss) == 10_001
    assert training.loss[0] == pytest.approx(FORWARD["loss"], abs=TOL, rel=0)
    assert training.loss[1] == pytest.approx(FROZEN_ONE_STEP, abs=TOL, rel=0)
    assert training.loss[-1] == pytest.approx(FROZEN_10K, rel=1e-6)
    out = training.output.reshape(-1)
    assert out[0] == pytest.approx(FROZEN_10K_OUTPUTS[0], rel=1e-6)
    assert out[1] == pytest.approx(FROZEN_10K_OUTPUTS[1], rel=1e-6)
    # frozen biases stay where they were
    assert training.biases[0].tolist() == [0.35, 0.35]
    assert training.biases[1].tolist() == [0.60, 0.60]
    doc = frozen_10k.to_dict()
    assert doc["training"]["loss"][-1] == pytest.approx(FROZEN_10K, rel=1e-6)
    assert doc["training"]["final"]["o1"] == pytest.approx(FROZEN_10K_OUTPUTS[0], rel=1e-6)
    assert doc["training"]["final"]["o2"] == pytest.approx(FROZEN_10K_OUTPUTS[1], rel=1e-6)
    assert doc["training"]["final"]["b1"] == 0.35 and doc["training"]["final"]["b4"] == 0.60


def test_trainable_biases_10k(trainable_10k) -> None:
    training = trainable_10k.training
    assert training.loss[0] == pytest.approx(FORWARD["loss"], abs=TOL, rel=0)
    assert training.loss[1] == pytest.approx(TRAINABLE_ONE_STEP, abs=TOL, rel=0)
    assert training.loss[-1] == pytest.approx(TRAINABLE_10K, rel=1e-6)
    assert training.biases[0].tolist() != [0.35, 0.35]


def test_first_step_unchanged_by_training(frozen_10k, classic_trace) -> None:
    """With --epochs, nodes and steps still describe the first step."""
    assert frozen_10k["w5"].grad == pytest.approx(GRADS["w5"], abs=TOL, rel=0)
    assert frozen_10k["loss"].value == classic_trace["loss"].value


@pytest.mark.parametrize(
    ("flag", "one_step"), [("false", FROZEN_ONE_STEP), ("true", TRAINABLE_ONE_STEP)]
)
def test_one_step_losses_via_cli(cli, write_spec, flag: str, one_step: float) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(CLASSIC_TEXT.replace("train_biases = true", f"train_biases = {flag}"))
    result = cli("export", "--spec", str(spec), "--epochs", "1")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["training"]["epochs"] == 1
    loss = doc["training"]["loss"]
    assert len(loss) == 2
    assert loss[0] == pytest.approx(FORWARD["loss"], abs=TOL, rel=0)
    assert loss[1] == pytest.approx(one_step, abs=TOL, rel=0)
    # the exported first step is the same as without --epochs
    assert doc["nodes"]["w5"]["grad"] == pytest.approx(GRADS["w5"], abs=TOL, rel=0)


def test_one_step_matches_torch_sgd() -> None:
    """The recorded updates are exactly what torch.optim.SGD would do."""
    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn(model(inputs), targets).backward()
    opt.step()
    w = (
        model[0].weight.detach().reshape(-1).tolist()
        + model[2].weight.detach().reshape(-1).tolist()
    )
    for k, value in enumerate(w, start=1):
        assert tr[f"w{k}"].updated == value
