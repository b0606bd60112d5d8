"""Random MLPs (hypothesis): every backward step agrees with autograd, and every parameter's
and input's gradient agrees with a central finite difference of the loss (torch, float64).

Hypothesis draws the architecture and a seed; weights, inputs and targets come from a torch
Generator seeded with it, so values land away from ReLU/L1 kinks with probability ~1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

import bptrace
from bptrace.model import formulas

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax", "none")
LOSSES = ("mse", "l1", "smooth_l1", "bce", "ce_indices", "ce_probabilities")
FD_STEP = 1e-6
EXAMPLES = int(os.environ.get("BPTRACE_HYPOTHESIS_EXAMPLES", "40"))  # raise it for a soak run
FD_RTOL = 1e-6
FD_ATOL = 1e-8  # times max(1, |loss|): the round-off of a central difference with step 1e-6
EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Act:
    name: str
    slope: float = 0.01
    as_module: bool = True

    def module(self) -> nn.Module | None:
        return {
            "sigmoid": nn.Sigmoid(),
            "tanh": nn.Tanh(),
            "relu": nn.ReLU(),
            "leaky_relu": nn.LeakyReLU(self.slope),
            "softmax": nn.Softmax(dim=-1),
            "none": None,
        }[self.name]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.name == "sigmoid":
            return torch.sigmoid(x)
        if self.name == "tanh":
            return torch.tanh(x)
        if self.name == "relu":
            return torch.relu(x)
        if self.name == "leaky_relu":
            return TF.leaky_relu(x, self.slope)
        if self.name == "softmax":
            return torch.softmax(x, dim=-1)
        return x


class MixedMLP(nn.Module):
    """Linear layers; each activation a module or a plain function call in forward."""

    def __init__(self, linears: list[nn.Linear], acts: list[Act]):
        super().__init__()
        self.linears = nn.ModuleList(linears)
        self.acts = acts
        self.act_modules = nn.ModuleList([a.module() or nn.Identity() for a in acts if a.as_module])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        modules = iter(self.act_modules)
        for linear, act in zip(self.linears, self.acts, strict=True):
            x = linear(x)
            x = next(modules)(x) if act.as_module else act(x)
        return x


@dataclass
class Case:
    model: nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    loss_fn: nn.Module
    description: str


@st.composite
def cases(draw: st.DrawFn, dtype: torch.dtype = torch.float64) -> Case:
    depth = draw(st.integers(1, 3), label="depth")
    sizes = [draw(st.integers(1, 5)) for _ in range(depth + 1)]
    batch = draw(st.integers(1, 3), label="batch")
    loss = draw(st.sampled_from(LOSSES), label="loss")
    reduction = draw(st.sampled_from(("mean", "sum")), label="reduction")
    acts = []
    for k in range(depth):
        name = draw(st.sampled_from(ACTIVATIONS))
        if k == depth - 1 and loss == "bce":
            name = "sigmoid"
        slope = draw(st.sampled_from((0.01, 0.1, 0.3)))
        acts.append(Act(name, slope, draw(st.booleans())))
    bias = [draw(st.booleans()) or k == 0 for k in range(depth)]
    flat = batch == 1 and draw(st.booleans(), label="1-D input")
    beta = draw(st.sampled_from((0.5, 1.0, 2.0)))
    normalised = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1), label="seed")

    gen = torch.Generator().manual_seed(seed)
    linears = []
    for k in range(depth):
        linear = nn.Linear(sizes[k], sizes[k + 1], bias=bias[k], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.randn(linear.weight.shape, generator=gen, dtype=dtype))
            if linear.bias is not None:
                linear.bias.copy_(0.5 * torch.randn(linear.bias.shape, generator=gen, dtype=dtype))
        linears.append(linear)
    model: nn.Module
    if all(a.as_module for a in acts) and draw(st.booleans()):
        blocks: list[nn.Module] = []
        for linear, act in zip(linears, acts, strict=True):
            blocks.append(linear)
            module = act.module()
            if module is not None:
                blocks.append(module)
        model = nn.Sequential(*blocks)
    else:
        model = MixedMLP(linears, acts)
    inputs = torch.randn(batch, sizes[0], generator=gen, dtype=dtype)
    out_shape: tuple[int, ...] = (batch, sizes[-1])
    if loss == "ce_indices":
        targets = torch.randint(0, sizes[-1], (batch,), generator=gen)
    elif loss in ("bce", "ce_probabilities"):
        targets = torch.rand(out_shape, generator=gen, dtype=dtype)
        if loss == "ce_probabilities" and normalised:
            targets = targets / targets.sum(dim=-1, keepdim=True)
    else:
        targets = torch.randn(out_shape, generator=gen, dtype=dtype)
    if flat:
        inputs, targets = inputs[0], targets[0]
    loss_fn: nn.Module = {
        "mse": lambda: nn.MSELoss(reduction=reduction),
        "l1": lambda: nn.L1Loss(reduction=reduction),
        "smooth_l1": lambda: nn.SmoothL1Loss(reduction=reduction, beta=beta),
        "bce": lambda: nn.BCELoss(reduction=reduction),
        "ce_indices": lambda: nn.CrossEntropyLoss(reduction=reduction),
        "ce_probabilities": lambda: nn.CrossEntropyLoss(reduction=reduction),
    }[loss]()
    forms = ", ".join(f"{a.name}{'' if a.as_module else '()'}" for a in acts)
    text = f"sizes {sizes} batch {batch} flat {flat} acts [{forms}] loss {loss}/{reduction} seed {seed}"
    return Case(model, inputs, targets, loss_fn, text)


def finite_difference(case: Case, tensor: torch.Tensor, index: tuple[int, ...]) -> float:
    """Central difference of the loss with respect to one entry of a parameter or the input."""
    with torch.no_grad():
        original = float(tensor[index])
        tensor[index] = original + FD_STEP
        up = float(case.loss_fn(case.model(case.inputs), case.targets))
        tensor[index] = original - FD_STEP
        down = float(case.loss_fn(case.model(case.inputs), case.targets))
        tensor[index] = original
    return (up - down) / (2 * FD_STEP)


def round_off(tr: bptrace.Trace) -> float:
    """A bound on the error of a central difference from rounding inside the loss evaluation.

    Every value v the forward pass computes carries a relative rounding error of about EPS,
    which moves the loss by about EPS·|v·∂loss/∂v|; the difference quotient divides that by the
    step. This matters where the loss is ill-conditioned (BCE on a saturated sigmoid output).
    """
    total = abs(tr.loss)
    for layer in tr.layers:
        total += float(np.abs(layer.pre * layer.pre_grad).sum())
        total += float(np.abs(layer.post * layer.post_grad).sum())
    return 2 * EPS * total / FD_STEP


def check_against_finite_differences(case: Case, tr: bptrace.Trace) -> None:
    scale = FD_ATOL * max(1.0, abs(tr.loss)) + round_off(tr)
    backward = {s.node: s for s in tr.steps if s.phase == "backward"}
    linears = [m for m in case.model.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == tr.network.depth
    namer = tr.namer
    for k, linear in enumerate(linears, start=1):
        for (r, c), _ in np.ndenumerate(linear.weight.detach().numpy()):
            name = namer.weight(k, r, c)
            fd = finite_difference(case, linear.weight, (r, c))
            assert tr[name].grad == pytest.approx(fd, rel=FD_RTOL, abs=scale), (
                name,
                case.description,
            )
            assert backward[name].value == pytest.approx(fd, rel=FD_RTOL, abs=scale), name
        if linear.bias is not None:
            for r in range(linear.bias.shape[0]):
                name = namer.bias(k, r)
                fd = finite_difference(case, linear.bias, (r,))
                assert tr[name].grad == pytest.approx(fd, rel=FD_RTOL, abs=scale), (
                    name,
                    case.description,
                )
                assert backward[name].value == pytest.approx(fd, rel=FD_RTOL, abs=scale), name
    x = case.inputs
    rows = [()] if x.dim() == 1 else [(b,) for b in range(x.shape[0])]
    for c in range(x.shape[-1]):
        name = f"i{c + 1}"
        fds = [finite_difference(case, x, (*row, c)) for row in rows]
        traced = tr[name].grad
        stepped = backward[name].value
        traced_list = traced if isinstance(traced, list) else [traced]
        stepped_list = stepped if isinstance(stepped, list) else [stepped]
        assert traced_list == pytest.approx(fds, rel=FD_RTOL, abs=scale), (name, case.description)
        assert stepped_list == pytest.approx(fds, rel=FD_RTOL, abs=scale), (name, case.description)


def autograd_loss(case: Case) -> float:
    with torch.no_grad():
        return float(case.loss_fn(case.model(case.inputs), case.targets))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_random_mlp_agrees_with_autograd_and_finite_differences(case: Case) -> None:
    tr = bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn, lr=0.1)
    assert tr.network.dtype == "float64"
    assert tr.loss == pytest.approx(autograd_loss(case), rel=1e-12, abs=1e-15)
    backward = [s for s in tr.steps if s.phase == "backward"]
    bad = [(s.node, s.value, s.autograd) for s in backward if not s.agrees]
    assert not bad, (bad, case.description)
    check_against_finite_differences(case, tr)


@settings(
    max_examples=max(10, EXAMPLES // 3), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(cases(dtype=torch.float32))
def test_float32_models_are_traced_in_float32(case: Case) -> None:
    tr = bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn)
    assert tr.network.dtype == "float32"
    assert tr.to_dict("tensors")["network"]["dtype"] == "float32"
    backward = [s for s in tr.steps if s.phase == "backward"]
    bad = [(s.node, s.value, s.autograd) for s in backward if not s.agrees]
    assert not bad, (bad, case.description)
    # the gradients are torch's own float32 gradients
    params = dict(case.model.named_parameters())
    for p in params.values():
        p.grad = None
    case.loss_fn(case.model(case.inputs), case.targets).backward()
    linears = [m for m in case.model.modules() if isinstance(m, nn.Linear)]
    for layer, linear in zip(tr.layers, linears, strict=True):
        assert layer.weight.value.dtype == np.float32
        assert np.array_equal(layer.weight.grad, linear.weight.grad.numpy())
    for p in params.values():
        p.grad = None


# -- the check can fail -----------------------------------------------------------------------


def test_a_wrong_activation_derivative_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seed's E2 mistake (σ applied twice) planted in the formulas: steps disagree."""
    right = formulas.act_derivative

    def wrong(act, pre, post):  # type: ignore[no-untyped-def]
        if act.name == "sigmoid":
            s = 1.0 / (1.0 + np.exp(-post))
            return s * (1.0 - s)
        return right(act, pre, post)

    monkeypatch.setattr(formulas, "act_derivative", wrong)
    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model, inputs, targets, loss_fn)
    disagree = {s.node for s in tr.steps if s.phase == "backward" and s.agrees is False}
    assert {"l1", "l3", "w1", "w5", "b1", "i1"} <= disagree
    assert {"o1", "o2"}.isdisjoint(disagree)  # ∂loss/∂o does not use the derivative


def test_a_wrong_loss_gradient_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """MSE's gradient without its factor 2/N: the output step disagrees."""
    right = formulas.loss_gradient

    def wrong(loss, out, targets):  # type: ignore[no-untyped-def]
        return right(loss, out, targets) * 2.0

    monkeypatch.setattr(formulas, "loss_gradient", wrong)
    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model, inputs, targets, loss_fn)
    step = next(s for s in tr.steps if s.phase == "backward" and s.node == "o1")
    assert step.agrees is False
    assert step.value == pytest.approx(2 * step.autograd)


def test_correct_formulas_agree_after_unpatching() -> None:
    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model, inputs, targets, loss_fn)
    assert all(s.agrees for s in tr.steps if s.phase == "backward")
