"""A plain nn.Sequential MLP is traced with no hook registered at all (``tracer/direct.py``);
a model with hooks of its own still goes through the hooks, and both give the same trace."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

import bptrace


def model_and_batch() -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Linear(4, 5), nn.ReLU(inplace=True), nn.Sequential(nn.Linear(5, 3), nn.Sigmoid())
    ).double()
    x = torch.rand(6, 4, dtype=torch.float64)
    t = torch.rand(6, 3, dtype=torch.float64)
    return model, x, t


def test_plain_sequential_registers_no_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    model, x, t = model_and_batch()

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a hook was registered")

    monkeypatch.setattr(nn.Module, "register_forward_hook", refuse)
    monkeypatch.setattr(nn.Module, "register_forward_pre_hook", refuse)
    tr = bptrace.trace(model, x, t, nn.MSELoss())
    assert tr.network.sizes == (4, 5, 3)
    assert [a.name for a in tr.network.activations] == ["relu", "sigmoid"]


def test_a_model_with_its_own_hook_gives_the_same_trace() -> None:
    model, x, t = model_and_batch()
    plain = bptrace.trace(model, x, t, nn.MSELoss())
    seen: list[str] = []
    handle = model[0].register_forward_hook(lambda m, a, out: seen.append("hook"))
    try:
        hooked = bptrace.trace(model, x, t, nn.MSELoss())
    finally:
        handle.remove()
    assert seen == ["hook"]  # the hook path ran the user's hook once
    assert hooked == plain
    assert hooked.layers[0].post.min() == 0.0  # the in-place ReLU's output, copied in time
    assert (hooked.layers[0].pre < 0).any()  # and the pre-activation it overwrote, kept


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batch", [1, 7])
def test_input_gradient_on_first_read_is_autograds_bit_for_bit(
    dtype: torch.dtype, batch: int
) -> None:
    torch.manual_seed(batch)
    model = nn.Sequential(nn.Linear(30, 20), nn.Tanh(), nn.Linear(20, 4)).to(dtype)
    x = torch.rand(batch, 30, dtype=dtype)
    y = torch.randint(0, 4, (batch,))
    tr = bptrace.trace(model, x, y, nn.CrossEntropyLoss())
    assert callable(tr.input_grad_)  # not computed by the trace itself
    xx = x.clone().requires_grad_(True)
    (want,) = torch.autograd.grad(nn.CrossEntropyLoss()(model(xx), y), xx)
    got = tr.input_grad
    assert got.dtype == want.numpy().dtype and (got == want.numpy()).all()
    assert tr.input_grad is got  # computed once


def test_one_dimensional_input_still_asks_autograd() -> None:
    model, x, t = model_and_batch()
    tr = bptrace.trace(model, x[0], t[0], nn.MSELoss())
    assert not callable(tr.input_grad_)
    xx = x[0].clone().requires_grad_(True)
    (want,) = torch.autograd.grad(nn.MSELoss()(model(xx), t[0]), xx)
    assert (tr.input_grad.reshape(-1) == want.numpy()).all()
