"""Changing activations and loss on a spec, then retracing: the formulas follow the choice."""

from __future__ import annotations

import pytest
import torch

from bptrace.model.choices import Choices, with_choices
from bptrace.model.errors import BptraceError
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tracer.api import trace_spec


@pytest.fixture
def classic():
    spec = parse_spec_text(CLASSIC_TEXT, "classic")
    return spec, trace_spec(spec)


def _step(tr, name, phase="backward"):
    return tr.steps[tr.steps.index_of(name, phase)]


def test_tanh_hidden_uses_one_minus_h_squared(classic):
    spec, tr = classic
    new = with_choices(spec, tr, Choices("tanh", "sigmoid", "mse"))
    tr2 = trace_spec(new)
    step = _step(tr2, "l1")
    assert "1 − h1²" in step.symbolic
    assert step.agrees
    # the value torch gives for the same network with tanh hidden units
    w1 = torch.tensor([[0.15, 0.20], [0.25, 0.30]], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([0.05, 0.10], dtype=torch.float64)
    h = torch.tanh(w1 @ x + 0.35)
    w2 = torch.tensor([[0.40, 0.45], [0.50, 0.55]], dtype=torch.float64)
    o = torch.sigmoid(w2 @ h + 0.60)
    loss = torch.nn.functional.mse_loss(o, torch.tensor([0.01, 0.99], dtype=torch.float64))
    loss.backward()
    assert tr2["w1"].grad == pytest.approx(float(w1.grad[0, 0]), rel=1e-12)


def test_relu_and_softmax_cross_entropy(classic):
    spec, tr = classic
    tr2 = trace_spec(with_choices(spec, tr, Choices("relu", "identity", "cross_entropy")))
    assert "[l1 > 0]" in _step(tr2, "l1").symbolic
    assert "p1" in _step(tr2, "o1").symbolic  # cross_entropy's p − y
    assert all(s.agrees for s in tr2.steps if s.phase == "backward")
    tr3 = trace_spec(with_choices(spec, tr, Choices("sigmoid", "softmax", "mse")))
    l3 = _step(tr3, "l3")
    assert len(l3.terms) == 2  # the Jacobian sum over o1, o2
    assert l3.agrees


def test_targets_carried_and_warnings(classic):
    spec, tr = classic
    ce = with_choices(spec, tr, Choices("sigmoid", "softmax", "cross_entropy"))
    assert ce.targets == [[0.01, 0.99]]  # a probability row stays one
    assert any(
        "double softmax" in w for w in Choices("sigmoid", "softmax", "cross_entropy").warnings()
    )
    assert Choices("sigmoid", "sigmoid", "bce").warnings() == []
    with pytest.raises(BptraceError, match="loss: unknown value"):
        with_choices(spec, tr, Choices("sigmoid", "sigmoid", "hinge"))
