"""The per-neuron view of a CNN's Linear head equals the full model's numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from bptrace.model.errors import BptraceError
from bptrace.tracer.api import trace_example_any, trace_head_of
from bptrace.tracer.head import trace_head


def test_small_cnn_head_matches_the_module_trace() -> None:
    head = trace_head_of(example_name="small-cnn")
    full = trace_example_any("small-cnn")
    weight = full.param("9.weight")  # type: ignore[union-attr]
    assert weight.grad is not None and weight.grad.data is not None
    np.testing.assert_allclose(
        head.layers[0].weight.grad.reshape(-1), weight.grad.data, rtol=1e-12, atol=1e-15
    )
    assert head.loss == pytest.approx(full.loss, rel=1e-12)
    assert all(s.agrees for s in head.steps if s.phase == "backward")


def test_head_of_a_two_layer_head_agrees_with_autograd_on_the_whole_model() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Conv1d(1, 2, 3, dtype=torch.float64),
        nn.Flatten(),
        nn.Linear(8, 4, dtype=torch.float64),
        nn.Tanh(),
        nn.Linear(4, 2, dtype=torch.float64),
    )
    x = torch.randn(3, 1, 6, dtype=torch.float64)
    t = torch.randn(3, 2, dtype=torch.float64)
    tr = trace_head(model, x, t, nn.MSELoss())
    loss = nn.MSELoss()(model(x), t)
    loss.backward()
    assert tr.network.sizes == (8, 4, 2)
    assert tr.layers[0].weight.grad == pytest.approx(model[2].weight.grad.numpy(), rel=1e-12)
    assert tr.layers[1].weight.grad == pytest.approx(model[4].weight.grad.numpy(), rel=1e-12)
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())


def test_a_model_without_a_linear_head_is_refused() -> None:
    model = nn.Sequential(nn.Linear(3, 3, dtype=torch.float64), nn.Flatten(0))
    with pytest.raises(BptraceError, match="no MLP head"):
        trace_head(
            model,
            torch.ones(1, 3, dtype=torch.float64),
            torch.ones(3, dtype=torch.float64),
            nn.MSELoss(),
        )
