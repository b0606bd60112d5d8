"""The seed course's side lessons: activation curves, softmax, losses, the tiny chain-rule graph,
pairing warnings and training — every number checked against torch computed here, or against
the figures of shared/seed/NOTES.md written out in full."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from bptrace.model.errors import BptraceError, Cancelled
from bptrace.model.lesson import (
    LOSS_EXAMPLES,
    SOFTMAX_SAMPLES,
    pairing_warnings,
    parse_numbers,
)
from bptrace.tracer.chain_graph import chain_graph
from bptrace.tracer.lesson import (
    activation_curve,
    lesson_spec,
    loss_demo,
    softmax_demo,
    trace_at_epoch,
    train_curve,
)

Y_TRUE = [3.0, 5.0, 2.5]
Y_PRED = [4.5, 5.0, 2.0]
LOGITS = [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]]


# -- activations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("sigmoid", torch.sigmoid),
        ("tanh", torch.tanh),
        ("relu", torch.relu),
        ("leaky_relu", lambda x: nn.functional.leaky_relu(x, 0.1)),
    ],
)
def test_activation_curve_matches_torch_on_the_seed_grid(name: str, fn) -> None:  # type: ignore[no-untyped-def]
    x = torch.linspace(-10, 10, 100, dtype=torch.float64, requires_grad=True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    curve = activation_curve(name, 0.1)
    assert len(curve.x) == 100
    assert curve.x[0] == -10.0 and curve.x[-1] == 10.0
    assert curve.y == pytest.approx(y.detach().tolist(), abs=1e-15)
    assert curve.grad == pytest.approx(g.tolist(), abs=1e-15)
    assert curve.max_disagreement < 1e-12
    assert curve.agrees


def test_sigmoid_derivative_peaks_near_a_quarter() -> None:
    curve = activation_curve("sigmoid")
    # the grid has no 0; its two middle points are ±10/99
    assert max(curve.grad) == pytest.approx(0.25 * (1 - math.tanh(5 / 99) ** 2), rel=1e-12)
    assert curve.grad[0] < 5e-5  # saturated at x = −10


def test_leaky_relu_slope_is_editable() -> None:
    curve = activation_curve("leaky_relu", 0.3)
    assert curve.negative_slope == 0.3
    assert curve.grad[0] == pytest.approx(0.3)
    assert curve.grad[-1] == pytest.approx(1.0)
    assert curve.y[0] == pytest.approx(-3.0)


def test_relu_gradient_is_a_step() -> None:
    curve = activation_curve("relu")
    assert set(curve.grad) == {0.0, 1.0}
    assert curve.grad[:50] == [0.0] * 50 and curve.grad[50:] == [1.0] * 50


def test_unknown_curve_is_refused() -> None:
    with pytest.raises(BptraceError, match="softmax"):
        activation_curve("softmax")


# -- softmax --------------------------------------------------------------------------------


def test_softmax_outputs_and_jacobian_of_the_seed_samples() -> None:
    x = torch.tensor(SOFTMAX_SAMPLES, dtype=torch.float64)
    y = torch.softmax(x, dim=-1)
    demo = softmax_demo()
    for got_row, want_row in zip(demo.outputs, y.tolist(), strict=True):
        assert got_row == pytest.approx(want_row, abs=1e-15)
    assert demo.outputs[0][3] == pytest.approx(0.8749020344404308, abs=1e-15)
    for n in range(2):
        expected = torch.diag(y[n]) - torch.outer(y[n], y[n])  # y_i(δ_ij − y_j)
        for got_row, want_row in zip(demo.jacobians[n], expected.tolist(), strict=True):
            assert got_row == pytest.approx(want_row, abs=1e-15)
    assert demo.max_disagreement < 1e-15


def test_softmax_sum_gradient_is_zero_but_one_output_is_not() -> None:
    demo = softmax_demo(picked=3)
    assert demo.max_sum_grad < 1e-15
    x = torch.tensor(SOFTMAX_SAMPLES, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.softmax(x, dim=-1)[:, 3].sum(), x)
    for got_row, want_row in zip(demo.picked_grad, g.tolist(), strict=True):
        assert got_row == pytest.approx(want_row, abs=1e-15)
    assert max(abs(v) for row in demo.picked_grad for v in row) > 0.1
    # one output's gradient is that output's row of the Jacobian
    assert demo.picked_grad[0] == pytest.approx(demo.jacobians[0][3], abs=1e-15)


# -- losses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected", "module"),
    [
        ("l1", 0.6666667, nn.L1Loss()),
        ("mse", 0.8333333, nn.MSELoss()),
        ("smooth_l1", 0.375, nn.SmoothL1Loss()),
    ],
)
def test_regression_losses_of_the_seed_example(
    name: str, expected: float, module: nn.Module
) -> None:
    pred = torch.tensor(Y_PRED, dtype=torch.float64, requires_grad=True)
    loss = module(pred, torch.tensor(Y_TRUE, dtype=torch.float64))
    (g,) = torch.autograd.grad(loss, pred)
    demo = loss_demo(name, Y_PRED, Y_TRUE)
    assert demo.loss == pytest.approx(expected, abs=5e-8)
    assert demo.loss == pytest.approx(float(loss.detach()), rel=1e-15)
    assert demo.grads == [pytest.approx(g.tolist(), abs=1e-15)]
    assert sum(demo.contributions[0]) == pytest.approx(demo.loss, rel=1e-15)


def test_mse_contributions_and_gradients_written_out() -> None:
    demo = loss_demo("mse", Y_PRED, Y_TRUE)
    assert demo.contributions[0] == pytest.approx([2.25 / 3, 0.0, 0.25 / 3])
    assert demo.grads[0] == pytest.approx([2 * 1.5 / 3, 0.0, 2 * -0.5 / 3])


def test_smooth_l1_beta_is_editable() -> None:
    pred = torch.tensor(Y_PRED, dtype=torch.float64)
    want = float(nn.SmoothL1Loss(beta=2.0)(pred, torch.tensor(Y_TRUE, dtype=torch.float64)))
    demo = loss_demo("smooth_l1", Y_PRED, Y_TRUE, beta=2.0)
    assert demo.beta == 2.0
    assert demo.loss == pytest.approx(want, rel=1e-15)
    assert demo.loss != pytest.approx(0.375)


def test_bce_of_the_seed_example() -> None:
    p = [[0.1], [0.2], [0.7]]
    t = [[1.0], [0.0], [1.0]]
    demo = loss_demo("bce", p, [[1], [0], [1]])
    assert demo.loss == pytest.approx(0.9608012, abs=5e-8)
    expected = -(math.log(0.1) + math.log(0.8) + math.log(0.7)) / 3
    assert demo.loss == pytest.approx(expected, rel=1e-14)
    pt = torch.tensor(p, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(nn.BCELoss()(pt, torch.tensor(t, dtype=torch.float64)), pt)
    assert [row[0] for row in demo.grads] == pytest.approx([row[0] for row in g.tolist()])
    assert demo.grads[0][0] == pytest.approx((0.1 - 1) / (0.1 * 0.9) / 3)


@pytest.mark.parametrize(("targets", "expected"), [([1, 2], 1.2465588), ([0, 1], 0.8965588)])
def test_cross_entropy_with_class_indices_seed_mistake_e4(
    targets: list[int], expected: float
) -> None:
    demo = loss_demo("cross_entropy", LOGITS, targets)
    assert demo.target_kind == "indices"
    assert demo.indices == targets
    assert demo.loss == pytest.approx(expected, abs=5e-8)
    z = torch.tensor(LOGITS, dtype=torch.float64, requires_grad=True)
    loss = nn.CrossEntropyLoss()(z, torch.tensor(targets))
    (g,) = torch.autograd.grad(loss, z)
    assert demo.loss == pytest.approx(float(loss.detach()), rel=1e-15)
    for got, want in zip(demo.grads, g.tolist(), strict=True):
        assert got == pytest.approx(want, abs=1e-15)
    # ∂loss/∂z = (p − onehot)/B
    p = torch.softmax(z.detach(), dim=-1)
    assert demo.grads[0][targets[0]] == pytest.approx((float(p[0, targets[0]]) - 1) / 2)
    assert sum(c[0] for c in demo.contributions) == pytest.approx(demo.loss)


def test_cross_entropy_with_probabilities_equals_one_hot_indices() -> None:
    demo = loss_demo("cross_entropy", LOGITS, [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert demo.target_kind == "probabilities"
    assert demo.loss == pytest.approx(1.2465588, abs=5e-8)


def test_seed_examples_text_parses_to_the_expected_losses() -> None:
    got = {
        name: loss_demo(
            name, parse_numbers(pred, "predictions"), parse_numbers(target, "targets")
        ).loss
        for name, (pred, target) in LOSS_EXAMPLES.items()
    }
    assert got == pytest.approx(
        {
            "mse": 0.8333333,
            "l1": 0.6666667,
            "smooth_l1": 0.375,
            "bce": 0.9608012,
            "cross_entropy": 1.2465588,
        },
        abs=5e-8,
    )


@pytest.mark.parametrize(
    ("name", "pred", "target", "message"),
    [
        ("mse", [1.0, 2.0], [1.0], "shape"),
        ("bce", [[1.5]], [[1.0]], "probabilities"),
        ("bce", [[0.5]], [[2.0]], r"\[0, 1\]"),
        ("cross_entropy", LOGITS, [0, 3], "out of range"),
        ("cross_entropy", LOGITS, [0], "2 class indices"),
        ("hinge", [1.0], [1.0], "unknown loss"),
    ],
)
def test_bad_loss_inputs_are_refused(name: str, pred: list, target: list, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(BptraceError, match=message):
        loss_demo(name, pred, target)


def test_parse_numbers() -> None:
    assert parse_numbers("1, 2.5, −3", "x") == [1, 2.5, -3]
    assert parse_numbers("[[1], [0]]", "x") == [[1], [0]]
    for bad in ("", "[1, 'a']", "[[1, 2], [3]]", "[nan]", "[1,"):
        with pytest.raises(BptraceError):
            parse_numbers(bad, "x")


# -- pairing --------------------------------------------------------------------------------


def test_pairing_warnings() -> None:
    assert pairing_warnings("identity", "cross_entropy") == []
    assert pairing_warnings("sigmoid", "bce") == []
    assert pairing_warnings("sigmoid", "mse") == []
    (double,) = pairing_warnings("softmax", "cross_entropy")
    assert "double softmax" in double
    for act in ("identity", "relu", "tanh", "leaky_relu", "softmax"):
        warnings = pairing_warnings(act, "bce")
        assert any("use a sigmoid output" in w for w in warnings), act


# -- the tiny chain-rule graph --------------------------------------------------------------


def test_chain_graph_gradients_seed_numbers() -> None:
    graph = chain_graph()
    assert graph.grads == {"fc1": 2.0, "w": 0.5, "b": -0.5}
    assert dict((n, v) for n, _, v in graph.forward)["fc2"] == 2.0
    assert dict((n, v) for n, _, v in graph.forward)["fc1"] == 0.5


def test_chain_graph_walk_follows_grad_fn_and_matches_backward() -> None:
    graph = chain_graph()
    ops = [s.op for s in graph.steps]
    assert ops[0] == "AddBackward0"
    assert "ExpBackward0" in ops and "ReciprocalBackward0" in ops
    assert ops.count("AccumulateGrad") == 2
    by_label = {s.label: s for s in graph.steps}
    # fc1's gradient is the upstream arriving at the node that produced it
    fc1 = next(s for s in graph.steps if s.label.startswith("fc1 ="))
    assert fc1.upstream == 2.0
    assert by_label["r = 1/d"].locals_ == [-0.25]  # −1/d², d = 2
    assert by_label["e = exp(v)"].locals_ == [1.0]
    assert by_label["w.grad += upstream"].upstream == 0.5
    assert by_label["b.grad += upstream"].upstream == -0.5
    for step in graph.steps:
        assert step.downstream == pytest.approx([step.upstream * d for d in step.locals_])


@pytest.mark.parametrize(("x", "w", "b"), [(1.0, 0.0, 0.0), (2.0, -0.5, 0.3), (-1.5, 1.2, 2.0)])
def test_chain_graph_matches_closed_form(x: float, w: float, b: float) -> None:
    s = 1 / (1 + math.exp(-(x * w - b)))
    graph = chain_graph(x, w, b)
    assert graph.grads["fc1"] == pytest.approx(2.0)
    assert graph.grads["w"] == pytest.approx(2 * s * (1 - s) * x, rel=1e-12)
    assert graph.grads["b"] == pytest.approx(-2 * s * (1 - s), rel=1e-12)
    leaves = {s.inputs[0]: s.upstream for s in graph.steps if s.op == "AccumulateGrad"}
    assert leaves == pytest.approx({"w": graph.grads["w"], "b": graph.grads["b"]})


# -- training -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("train_biases", "after_one", "after_10000"),
    [
        (False, 0.29102777369359933, 3.510187782978859e-05),
        (True, 0.28047144679143016, 2.4475622359322627e-06),
    ],
)
def test_training_figures(train_biases: bool, after_one: float, after_10000: float) -> None:
    curve = train_curve(lesson_spec(train_biases, 0.5), 10_000)
    assert len(curve.loss) == 10_001
    assert curve.loss[0] == pytest.approx(0.2983711087600027, rel=1e-12)
    assert curve.loss[1] == pytest.approx(after_one, rel=1e-9)
    assert curve.final == pytest.approx(after_10000, rel=1e-6)


def test_trace_at_epoch_matches_the_curve() -> None:
    spec = lesson_spec(False, 0.5)
    curve = train_curve(spec, 20)
    for epoch in (0, 1, 7, 20):
        tr = trace_at_epoch(spec, epoch)
        assert tr.loss == pytest.approx(curve.loss[epoch], rel=1e-12)
    tr = trace_at_epoch(spec, 1)
    # frozen biases stay put; w5 moved by one SGD step (NOTES.md)
    assert tr["b1"].value == 0.35 and tr["b3"].value == 0.60
    assert tr["w5"].value == pytest.approx(0.35891647971788465, rel=1e-12)


def test_trained_biases_move() -> None:
    tr = trace_at_epoch(lesson_spec(True, 0.5), 1)
    assert tr["b3"].value == pytest.approx(0.60 - 0.5 * 0.13849856162855695, rel=1e-12)


def test_training_can_be_cancelled() -> None:
    with pytest.raises(Cancelled):
        train_curve(lesson_spec(), 1000, progress=lambda done, total: done >= 100)


def test_bad_training_inputs() -> None:
    with pytest.raises(BptraceError, match="lr"):
        lesson_spec(lr=0)
    with pytest.raises(BptraceError, match="N"):
        train_curve(lesson_spec(), 0)
    with pytest.raises(BptraceError, match="epoch"):
        trace_at_epoch(lesson_spec(), -1)
