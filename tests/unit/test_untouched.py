"""trace() leaves the model exactly as it found it: hooks, parameters, .grad, mode, no_grad."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import bptrace
from bptrace.model.errors import BptraceError


def hook_counts(model: nn.Module) -> list[tuple[str, int, int, int, int]]:
    return [
        (
            name,
            len(m._forward_hooks),
            len(m._forward_pre_hooks),
            len(m._backward_hooks),
            len(getattr(m, "_backward_pre_hooks", {})),
        )
        for name, m in model.named_modules()
    ]


def snapshot(model: nn.Module) -> dict[str, tuple[torch.Tensor, torch.Tensor | None, bool]]:
    return {
        name: (
            p.detach().clone(),
            None if p.grad is None else p.grad.clone(),
            p.requires_grad,
        )
        for name, p in model.named_parameters()
    }


def assert_same(before: dict, after: dict) -> None:  # type: ignore[type-arg]
    assert before.keys() == after.keys()
    for name in before:
        (v0, g0, r0), (v1, g1, r1) = before[name], after[name]
        assert torch.equal(v0, v1), name
        assert r0 == r1, name
        assert (g0 is None) == (g1 is None), name
        if g0 is not None:
            assert torch.equal(g0, g1), name


def classic_with_grads():  # type: ignore[no-untyped-def]
    model, inputs, targets, loss_fn = bptrace.classic()
    for k, p in enumerate(model.parameters()):
        if k % 2 == 0:  # some parameters with a pre-existing .grad, some without
            p.grad = torch.full_like(p, 0.125 * (k + 1))
    return model, inputs, targets, loss_fn


@pytest.mark.parametrize("lr", [None, 0.5])
def test_model_untouched(lr: float | None) -> None:
    model, inputs, targets, loss_fn = classic_with_grads()
    hooks, before = hook_counts(model), snapshot(model)
    x0, t0 = inputs.clone(), targets.clone()
    tr = bptrace.trace(model, inputs, targets, loss_fn, lr=lr)
    assert hook_counts(model) == hooks
    assert all(counts == 0 for _, *rest in hook_counts(model) for counts in rest)
    assert_same(before, snapshot(model))
    assert torch.equal(inputs, x0) and torch.equal(targets, t0)
    assert not inputs.requires_grad and inputs.grad is None
    assert tr["w5"].grad == pytest.approx(0.08216704056423077, abs=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_mode_unchanged(training: bool) -> None:
    model, inputs, targets, loss_fn = bptrace.classic()
    model.train(training)
    bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)
    assert all(m.training is training for m in model.modules())


def test_works_inside_no_grad() -> None:
    model, inputs, targets, loss_fn = classic_with_grads()
    before = snapshot(model)
    with torch.no_grad():
        tr = bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)
        assert not torch.is_grad_enabled()
    assert tr["w5"].grad == pytest.approx(0.08216704056423077, abs=1e-12)
    assert all(s.agrees for s in tr.steps if s.phase == "backward")
    assert_same(before, snapshot(model))


def test_existing_user_hooks_survive() -> None:
    model, inputs, targets, loss_fn = bptrace.classic()
    calls: list[str] = []
    handle = model[0].register_forward_hook(lambda *_: calls.append("fwd"))
    try:
        bptrace.trace(model, inputs, targets, loss_fn)
        assert len(model[0]._forward_hooks) == 1
        assert calls == ["fwd"]
    finally:
        handle.remove()


class NotAnMLP(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2, dtype=torch.float64)
        self.conv = nn.Conv1d(1, 1, 1, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.fc(x).unsqueeze(1)).squeeze(1)


class Raises(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(2, 2, dtype=torch.float64)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.sigmoid(self.fc(x))
        raise RuntimeError("boom in forward")
        return y  # pragma: no cover


def test_hooks_removed_after_an_error_in_the_structure() -> None:
    model = NotAnMLP()
    x = torch.rand(1, 2, dtype=torch.float64)
    model.fc.weight.grad = torch.ones_like(model.fc.weight)
    before, hooks = snapshot(model), hook_counts(model)
    with pytest.raises(BptraceError):
        bptrace.trace(model, x, torch.rand(1, 2, dtype=torch.float64), nn.MSELoss())
    assert hook_counts(model) == hooks
    assert_same(before, snapshot(model))


def test_hooks_removed_after_forward_raised() -> None:
    model = Raises()
    model.eval()
    before, hooks = snapshot(model), hook_counts(model)
    with pytest.raises(BptraceError, match="boom in forward"):
        bptrace.trace(
            model,
            torch.rand(1, 2, dtype=torch.float64),
            torch.rand(1, 2, dtype=torch.float64),
            nn.MSELoss(),
        )
    assert hook_counts(model) == hooks
    assert_same(before, snapshot(model))
    assert model.training is False
    # the TorchFunctionMode is gone too: a later plain call is not recorded anywhere
    assert torch.sigmoid(torch.zeros(1)).item() == 0.5


def test_hooks_removed_after_a_bad_loss() -> None:
    model, inputs, _, loss_fn = bptrace.classic()
    hooks, before = hook_counts(model), snapshot(model)
    with pytest.raises(BptraceError):
        bptrace.trace(model, inputs, torch.zeros(1, 3, dtype=torch.float64), loss_fn)
    with pytest.raises(BptraceError):
        bptrace.trace(model, inputs, inputs, nn.NLLLoss())
    assert hook_counts(model) == hooks
    assert_same(before, snapshot(model))


def test_train_leaves_model_untouched() -> None:
    model, inputs, targets, loss_fn = classic_with_grads()
    before = snapshot(model)
    training = bptrace.train(model, inputs, targets, loss_fn, lr=0.5, epochs=3)
    assert len(training.loss) == 4
    assert_same(before, snapshot(model))
