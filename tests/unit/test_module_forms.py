"""The seed's two nn.Module forms, and functional vs module activations, give the same trace."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as TF
from torch import nn

import bptrace

W1 = [[0.15, 0.20], [0.25, 0.30]]
W2 = [[0.40, 0.45], [0.50, 0.55]]
B1, B2 = [0.35, 0.35], [0.60, 0.60]
X = torch.tensor([[0.05, 0.10]], dtype=torch.float64)
T = torch.tensor([[0.01, 0.99]], dtype=torch.float64)


def _set(linear: nn.Linear, w: list[list[float]], b: list[float]) -> nn.Linear:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(w, dtype=torch.float64))
        linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
    return linear


class FunctionalForm(nn.Module):
    """Form (a): two separate nn.Linear(2, 2) and torch.sigmoid called in forward."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = _set(nn.Linear(2, 2, dtype=torch.float64), W1, B1)
        self.fc2 = _set(nn.Linear(2, 2, dtype=torch.float64), W2, B2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc2(torch.sigmoid(self.fc1(x))))


def sequential_form() -> nn.Module:
    """Form (b): nn.Sequential(Linear, Sigmoid) blocks."""
    return nn.Sequential(
        nn.Sequential(_set(nn.Linear(2, 2, dtype=torch.float64), W1, B1), nn.Sigmoid()),
        nn.Sequential(_set(nn.Linear(2, 2, dtype=torch.float64), W2, B2), nn.Sigmoid()),
    )


@pytest.mark.parametrize("lr", [None, 0.1, 0.5])
def test_seed_module_forms_give_the_same_trace(lr: float | None) -> None:
    a = bptrace.trace(FunctionalForm(), X, T, nn.MSELoss(), lr=lr)
    b = bptrace.trace(sequential_form(), X, T, nn.MSELoss(), lr=lr)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict("tensors") == b.to_dict("tensors")
    assert a == b


def test_seed_forms_equal_classic() -> None:
    model, inputs, targets, loss_fn = bptrace.classic()
    classic = bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)
    a = bptrace.trace(FunctionalForm(), X, T, nn.MSELoss(), lr=0.5)
    da, dc = a.to_dict(), classic.to_dict()
    da["network"]["name"] = dc["network"]["name"] = None  # the classic one is named
    assert da == dc


class Functional(nn.Module):
    def __init__(self, sizes: list[int], fn) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        gen = torch.Generator().manual_seed(7)
        self.linears = nn.ModuleList()
        for n_in, n_out in zip(sizes, sizes[1:], strict=False):
            linear = nn.Linear(n_in, n_out, dtype=torch.float64)
            with torch.no_grad():
                linear.weight.copy_(torch.randn(n_out, n_in, generator=gen, dtype=torch.float64))
                linear.bias.copy_(torch.randn(n_out, generator=gen, dtype=torch.float64))
            self.linears.append(linear)
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear in self.linears:
            x = self.fn(linear(x))
        return x


def as_sequential(func: Functional, module_factory) -> nn.Module:  # type: ignore[no-untyped-def]
    blocks: list[nn.Module] = []
    for linear in func.linears:
        blocks += [linear, module_factory()]
    return nn.Sequential(*blocks)


PAIRS = {
    "sigmoid": (torch.sigmoid, nn.Sigmoid),
    "tanh": (torch.tanh, nn.Tanh),
    "relu": (torch.relu, nn.ReLU),
    "F.relu": (TF.relu, nn.ReLU),
    "relu_inplace": (lambda x: TF.relu(x, inplace=False), lambda: nn.ReLU(inplace=True)),
    "leaky_relu": (lambda x: TF.leaky_relu(x, 0.2), lambda: nn.LeakyReLU(0.2)),
    "leaky_relu_kw": (lambda x: TF.leaky_relu(x, negative_slope=0.05), lambda: nn.LeakyReLU(0.05)),
    "softmax": (lambda x: torch.softmax(x, dim=-1), lambda: nn.Softmax(dim=-1)),
    "softmax_pos": (lambda x: torch.softmax(x, -1), lambda: nn.Softmax(dim=-1)),
    "tensor.sigmoid": (lambda x: x.sigmoid(), nn.Sigmoid),
    "F.softmax": (lambda x: TF.softmax(x, dim=-1), lambda: nn.Softmax(dim=-1)),
}


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("batch", [1, 3])
def test_functional_equals_module_form(name: str, batch: int) -> None:
    fn, factory = PAIRS[name]
    func = Functional([3, 4, 2], fn)
    seq = as_sequential(func, factory)
    x = torch.randn(batch, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    t = torch.rand(batch, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    a = bptrace.trace(func, x, t, nn.MSELoss(), lr=0.1)
    b = bptrace.trace(seq, x, t, nn.MSELoss(), lr=0.1)
    assert a.to_dict() == b.to_dict()
    assert all(s.agrees for s in a.steps if s.phase == "backward")
    slope = a.network.activations[0].negative_slope
    if name.startswith("leaky"):
        assert slope == (0.2 if name == "leaky_relu" else 0.05)


def test_relu_inplace_module_works() -> None:
    func = Functional([3, 4, 2], torch.relu)
    seq = as_sequential(func, lambda: nn.ReLU(inplace=True))
    x = torch.randn(2, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    t = torch.randn(2, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    tr = bptrace.trace(seq, x, t, nn.MSELoss())
    assert [a.name for a in tr.network.activations] == ["relu", "relu"]
    # the recorded pre-activations keep their negative values (in-place relu did not clobber them)
    with torch.no_grad():
        pre = func.linears[0](x)
    assert tr.layers[0].pre.tolist() == pre.tolist()
    assert (tr.layers[0].pre < 0).any()
    assert all(s.agrees for s in tr.steps if s.phase == "backward")
