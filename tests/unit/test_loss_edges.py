"""Settings at their edges: smooth_l1 with beta 0 is written as the L1 torch computes (it
was shown as ``(o1 − t1)/0 if |o1 − t1| < 0 else sign(o1 − t1)``); epochs are bounded."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

import bptrace
from bptrace.model.spec import parse_spec_text
from bptrace.tracer.api import trace_spec

SPEC = """
layers = [2, 2, 2]
inputs = [[0.05, 0.1], [0.3, -0.2]]
targets = [[0.01, 0.99], [0.5, 0.5]]
loss = "smooth_l1"
beta = {beta}
seed = 1
"""


def test_smooth_l1_with_beta_zero_is_written_as_l1() -> None:
    tr = trace_spec(parse_spec_text(SPEC.format(beta=0.0), "beta0"))
    steps = tr.steps
    grad = steps[steps.index_of("o1", "backward")]
    assert grad.formula == "∂loss/∂o1 = sign(o1 − t1)/4", grad.formula
    loss = steps[steps.index_of("loss", "forward")]
    assert loss.formula.endswith("s(d) = |d| (beta = 0)"), loss.formula
    checked = [s for s in steps if s.agrees is not None]
    assert len(checked) > 20 and all(s.agrees for s in checked)


def test_smooth_l1_with_a_beta_keeps_its_two_pieces() -> None:
    tr = trace_spec(parse_spec_text(SPEC.format(beta=0.5), "beta"))
    grad = tr.steps[tr.steps.index_of("o1", "backward")]
    assert grad.formula == (
        "∂loss/∂o1 = [(o1 − t1)/0.50 if |o1 − t1| < 0.50 else sign(o1 − t1)]/4"
    ), grad.formula
    assert isinstance(tr, bptrace.Trace)


def test_epochs_have_the_training_screens_upper_bound(
    cli: Callable[..., Result],
) -> None:
    """``--epochs`` had no upper bound (a loss value per epoch is kept: 10**9 epochs ran for
    hours and filled memory); the training screen's 1,000,000 now bounds the CLI and
    ``bptrace.train`` too, which also refuse a bool or a fraction."""
    assert_one_error_line(
        cli("export", "--epochs", "1000001"), "--epochs: at most 1,000,000, got 1000001"
    )
    model, inputs, targets, loss_fn = bptrace.classic()
    for epochs in (10**7, -1, True, 2.5):
        with pytest.raises(bptrace.BptraceError, match="a whole number from 0 to 1,000,000"):
            bptrace.train(model, inputs, targets, loss_fn, 0.5, epochs)  # type: ignore[arg-type]
    assert len(bptrace.train(model, inputs, targets, loss_fn, 0.5, 3).loss) == 4


def test_bce_at_a_saturated_output_is_written_with_torchs_clamps() -> None:
    """An output of exactly 1 with target 0: torch clamps ln at −100 and o(1 − o) at 1e-12.
    The steps said ``1 × ln 0 = 100`` and ``(o1 − t1)/(o1(1 − o1)) = 1000000003995.8`` with no
    word of either clamp; the numbers stay torch's."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(1, 1), nn.Sigmoid()).double()
    with torch.no_grad():
        model[0].weight.fill_(100.0)  # σ(100) is 1.0 in float64
        model[0].bias.fill_(0.0)
    x = torch.tensor([[1.0]], dtype=torch.float64)
    tr = bptrace.trace(model, x, torch.tensor([[0.0]], dtype=torch.float64), nn.BCELoss())
    steps = tr.steps
    loss = steps[steps.index_of("loss", "forward")]
    assert loss.substituted == "−(0 × ln 1 + 1 × max(ln 0, −100))", loss.substituted
    assert tr.loss == 100.0
    grad = steps[steps.index_of("o1", "backward")]
    assert grad.formula == "∂loss/∂o1 = (o1 − t1)/max(o1(1 − o1), 1e-12)", grad.formula
    assert grad.agrees and grad.autograd == 1000000003995.8029
    plain = bptrace.trace(
        model,
        torch.tensor([[0.01]], dtype=torch.float64),
        torch.tensor([[0.0]], dtype=torch.float64),
        nn.BCELoss(),
    )
    assert plain.steps[plain.steps.index_of("o1", "backward")].formula == (
        "∂loss/∂o1 = (o1 − t1)/(o1(1 − o1))"
    )


def test_bfloat16_targets_are_refused_not_a_type_error() -> None:
    """bfloat16 targets raised ``TypeError: Got unsupported ScalarType BFloat16`` (numpy
    holds no bfloat16) out of ``bptrace.trace``; ``trace_any`` traces them per module."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
    x, targets = torch.randn(4, 3), torch.rand(4, 2).to(torch.bfloat16)
    with pytest.raises(bptrace.BptraceError, match="targets are bfloat16; bptrace reads float16"):
        bptrace.trace(model, x, targets, nn.MSELoss())
    tr = bptrace.trace_any(model, x, targets, nn.MSELoss())
    assert "no per-neuron view: targets are bfloat16" in tr.warnings[0]
