"""Module tracing of every kind of module, checked against torch itself.

Each model is traced by ``trace_modules`` and, independently, run on a deep copy with
plain forward hooks and ``loss.backward()``: every call's output statistics, every output
gradient and every parameter gradient must match.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from bptrace.model.modules import TENSOR_LIMIT, ModuleTrace, Stats
from bptrace.tracer.modules import trace_modules
from bptrace.tracer.tensorstats import tensor_stats

D = torch.float64


def torch_stats(t: torch.Tensor) -> Stats:
    x = t.detach().double()
    return Stats(
        x.numel(),
        float(x.mean()),
        float(x.std(correction=0)),
        float(x.min()),
        float(x.max()),
        float(torch.linalg.vector_norm(x)),
        float((x == 0).double().mean()),
        int(x.isnan().sum()),
        int(x.isinf().sum()),
    )


def same_stats(a: Stats, b: Stats, rtol: float = 1e-9) -> None:
    """Equal up to rounding; std and mean are also allowed the rounding of the values' scale
    (torch.std_mean and torch.std differ by that much under cancellation)."""
    assert a.count == b.count and a.nan == b.nan and a.inf == b.inf
    scale = max(abs(b.min), abs(b.max)) if math.isfinite(b.min + b.max) else 0.0
    for field in ("mean", "std", "min", "max", "norm", "zeros"):
        x, y = getattr(a, field), getattr(b, field)
        atol = max(1e-12, 1e-13 * scale) if field in ("mean", "std") else 1e-12
        assert math.isclose(x, y, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(x) and math.isnan(y)
        ), (field, x, y)


# -- models of every kind -------------------------------------------------------------------
class Residual(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, dtype=D)
        self.bn = nn.BatchNorm2d(c, dtype=D)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, dtype=D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn(self.conv1(x)))
        return self.relu(self.conv2(y) + x)  # residual addition; relu called twice


class ResNetish(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1, dtype=D)
        self.block = Residual(4)
        self.pool = nn.AvgPool2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(4 * 4 * 4, 3, dtype=D))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.pool(self.block(self.stem(x))))
        return out


class TwoOutputs(nn.Module):
    """A module returning a tuple, and an LSTM (whose output is nested tuples)."""

    def __init__(self) -> None:
        super().__init__()
        self.split = Split()
        self.lstm = nn.LSTM(3, 4, batch_first=True, dtype=D)
        self.out = nn.Linear(4, 2, dtype=D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self.split(x)
        seq, (h, _c) = self.lstm(a * b)
        out: torch.Tensor = self.out(seq[:, -1] + h[0])
        return out


class Split(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor([1.5, -0.5, 2.0], dtype=D))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x * self.scale, torch.tanh(x)


class Embedder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(10, 4, dtype=D)
        self.norm = nn.LayerNorm(4, dtype=D)
        self.fc = nn.Linear(4, 1, dtype=D)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc(self.norm(self.emb(idx)).mean(dim=1))
        return out


def inplace_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, dtype=D),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(3 * 3 * 3, 2, dtype=D),
    )


Case = tuple[nn.Module, Any, torch.Tensor, Callable[..., Any]]


def case(name: str) -> Case:
    torch.manual_seed(1)
    if name == "resnetish":
        return (
            ResNetish(),
            torch.randn(2, 1, 8, 8, dtype=D),
            torch.tensor([0, 2]),
            nn.CrossEntropyLoss(),
        )
    if name == "two_outputs":
        return TwoOutputs(), torch.randn(2, 5, 3, dtype=D), torch.randn(2, 2, dtype=D), nn.MSELoss()
    if name == "embedding":
        idx = torch.tensor([[1, 2, 3], [3, 4, 9]])
        return Embedder(), idx, torch.randn(2, 1, dtype=D), nn.MSELoss()
    if name == "inplace":
        return (
            inplace_cnn(),
            torch.randn(2, 1, 8, 8, dtype=D),
            torch.randn(2, 2, dtype=D),
            nn.L1Loss(),
        )
    if name == "eval_bn_dropout":
        model = ResNetish().eval()
        return (
            model,
            torch.randn(3, 1, 8, 8, dtype=D),
            torch.tensor([1, 1, 0]),
            nn.CrossEntropyLoss(),
        )
    raise AssertionError(name)


CASES = ["resnetish", "two_outputs", "embedding", "inplace", "eval_bn_dropout"]


def reference(c: Case) -> tuple[dict[str, list[Stats]], dict[str, torch.Tensor], float]:
    """Plain torch on a deep copy: each call's output stats, each parameter's .grad, the loss."""
    model, inputs, targets, loss_fn = copy.deepcopy(c)
    seen: dict[str, list[Stats]] = {}
    counts: dict[str, int] = {}
    handles = []
    for path, module in model.named_modules():

        def hook(m: nn.Module, a: Any, out: Any, path: str = path) -> None:
            counts[path] = counts.get(path, 0) + 1
            base = path or "(model)"
            name = base if counts[path] == 1 else f"{base}#{counts[path]}"
            flat = [out] if isinstance(out, torch.Tensor) else list(_flat(out))
            seen[name] = [torch_stats(t) for t in flat]

        handles.append(module.register_forward_hook(hook))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        loss = loss_fn(model(inputs), targets)
    loss.backward()
    for h in handles:
        h.remove()
    grads = {k: p.grad for k, p in model.named_parameters() if p.grad is not None}
    return seen, grads, float(loss.detach())


def _flat(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        yield obj
    else:
        for x in obj:
            yield from _flat(x)


@pytest.mark.parametrize("name", CASES)
def test_every_kind_matches_torch(name: str) -> None:
    c = case(name)
    tr = trace_modules(*c, lr=0.1)
    seen, grads, loss = reference(c)
    assert math.isclose(tr.loss, loss, rel_tol=1e-12)
    assert [call.name for call in tr.calls] == list(seen)
    for call in tr.calls:
        if name == "inplace" and call.name == "0":
            continue  # torch's own hook sees it after the in-place ReLU; see the next test
        assert len(call.outputs) == len(seen[call.name])
        for pair, want in zip(call.outputs, seen[call.name], strict=True):
            same_stats(pair.value.stats, want)
    for p in tr.params:
        want_grad = grads.get(p.name)
        assert p.grad is not None and p.grad.data is not None
        got = p.grad.array()
        if want_grad is None:  # not reached by the loss: traced as 0
            assert not np.any(got)
        else:
            np.testing.assert_allclose(got, want_grad.numpy(), rtol=1e-10, atol=1e-14)
            same_stats(p.grad.stats, torch_stats(want_grad))
        assert p.updated is not None and p.value.data is not None
        np.testing.assert_allclose(p.updated.array(), p.value.array() - 0.1 * got, rtol=1e-12)


def test_output_gradients_equal_autograd() -> None:
    model, x, t, loss_fn = case("resnetish")
    model.eval()  # no dropout: the reference below runs without forking the generator
    tr = trace_modules(model, x, t, loss_fn)
    ref = copy.deepcopy(model)
    outs: dict[str, torch.Tensor] = {}

    def keep(path: str) -> Callable[..., None]:
        def hook(m: nn.Module, a: Any, o: torch.Tensor) -> None:
            o.retain_grad()
            outs[path] = o

        return hook

    for path in ("stem", "block.bn", "pool"):
        ref.get_submodule(path).register_forward_hook(keep(path))
    loss_fn(ref(x), t).backward()
    for path, out in outs.items():
        pair = tr.call(path).outputs[0]
        assert pair.grad is not None
        np.testing.assert_allclose(pair.grad.array(), out.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_inplace_relu_keeps_the_value_before_it() -> None:
    model, x, t, loss_fn = case("inplace")
    tr = trace_modules(model, x, t, loss_fn)
    conv_out = torch.nn.functional.conv2d(x, model[0].weight, model[0].bias)
    same_stats(tr.call("0").outputs[0].value.stats, torch_stats(conv_out))
    assert tr.call("0").outputs[0].value.stats.min < 0  # before the ReLU
    assert tr.call("1").outputs[0].value.stats.min == 0  # after it
    # the gradient at the conv output equals autograd's on an out-of-place copy
    ref = copy.deepcopy(model)
    ref[1] = nn.ReLU()
    held: list[torch.Tensor] = []

    def hold(m: nn.Module, a: Any, o: torch.Tensor) -> None:
        o.retain_grad()
        held.append(o)

    ref[0].register_forward_hook(hold)
    loss_fn(ref(x), t).backward()
    grad = tr.call("0").outputs[0].grad
    assert grad is not None
    np.testing.assert_allclose(grad.array(), held[0].grad.numpy(), rtol=1e-12, atol=1e-15)


def test_second_call_gets_an_index_and_tuples_all_outputs() -> None:
    tr = trace_modules(*case("resnetish"))
    names = [c.name for c in tr.calls]
    assert "block.relu" in names and "block.relu#2" in names
    assert tr.call("block.relu#2").index == 2
    assert tr.module("block.relu").calls == ["block.relu", "block.relu#2"]
    two = trace_modules(*case("two_outputs"))
    assert len(two.call("split").outputs) == 2
    assert len(two.call("lstm").outputs) == 3  # seq, (h, c)
    assert [tuple(s) for s in two.call("lstm").inputs] == [(2, 5, 3)]


def test_hierarchy_lists_children_params_and_shapes() -> None:
    tr = trace_modules(*case("resnetish"))
    root = tr.root
    assert root.path == "" and root.children == ["stem", "block", "pool", "head"]
    assert tr.module("block").children == ["block.conv1", "block.bn", "block.relu", "block.conv2"]
    assert tr.module("block.bn").params == ["block.bn.weight", "block.bn.bias"]
    assert tr.call("stem").outputs[0].value.shape == (2, 4, 8, 8)
    assert tr.call("(model)").outputs[0].value.shape == (2, 3)


def _hooks(model: nn.Module) -> int:
    return sum(
        len(m._forward_hooks) + len(m._forward_pre_hooks) + len(m._backward_hooks)
        for m in model.modules()
    )


@pytest.mark.parametrize("name", CASES)
def test_model_untouched(name: str) -> None:
    model, x, t, loss_fn = case(name)
    model.train(name != "eval_bn_dropout")
    for p in model.parameters():  # an existing .grad must survive unchanged
        p.grad = torch.full_like(p, 7.0)
    before = copy.deepcopy(model.state_dict())
    mode = [m.training for m in model.modules()]
    rng = torch.random.get_rng_state()
    trace_modules(model, x, t, loss_fn, lr=0.5)
    assert _hooks(model) == 0
    assert [m.training for m in model.modules()] == mode
    assert torch.equal(torch.random.get_rng_state(), rng)
    after = model.state_dict()
    for k, v in before.items():  # parameters and buffers (BatchNorm running stats)
        assert torch.equal(after[k], v), k
    assert all(torch.equal(p.grad, torch.full_like(p, 7.0)) for p in model.parameters())


def test_hooks_removed_when_forward_fails() -> None:
    model = nn.Sequential(nn.Linear(3, 2, dtype=D), nn.Conv2d(1, 1, 3, dtype=D))
    from bptrace.model.errors import BptraceError

    with pytest.raises(BptraceError, match="forward pass failed: RuntimeError"):
        trace_modules(model, torch.randn(2, 3, dtype=D), torch.randn(2), nn.MSELoss())
    assert _hooks(model) == 0


def test_batchnorm_running_stats_untouched_in_train_mode() -> None:
    model, x, t, loss_fn = case("resnetish")
    bn = model.block.bn
    mean, var, n = bn.running_mean.clone(), bn.running_var.clone(), int(bn.num_batches_tracked)
    tr = trace_modules(model, x, t, loss_fn)
    assert torch.equal(bn.running_mean, mean) and torch.equal(bn.running_var, var)
    assert int(bn.num_batches_tracked) == n
    assert any("train mode" in w for w in tr.warnings)


def test_trace_is_deterministic_with_dropout() -> None:
    c = case("resnetish")
    assert trace_modules(*c) == trace_modules(*c)


def test_large_tensors_keep_stats_only() -> None:
    n = TENSOR_LIMIT + 1
    model = nn.Linear(n, 1, dtype=D)
    tr = trace_modules(model, torch.randn(1, n, dtype=D), torch.zeros(1, 1, dtype=D), nn.MSELoss())
    weight = tr.param("weight")
    assert weight.value.data is None and weight.grad is not None and weight.grad.data is None
    same_stats(weight.value.stats, torch_stats(model.weight))
    assert tr.param("bias").value.data is not None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.just(0.0), st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan)),
        min_size=1,
        max_size=40,
    )
)
def test_stats_equal_torch(values: list[float]) -> None:
    t = torch.tensor(values, dtype=D)
    same_stats(tensor_stats(t), torch_stats(t))


def test_stats_of_float32_and_integers() -> None:
    t = torch.tensor([[0.0, 1.5], [-2.0, 0.0]], dtype=torch.float32)
    same_stats(tensor_stats(t), torch_stats(t), rtol=1e-6)
    same_stats(tensor_stats(torch.tensor([3, 0, 1])), torch_stats(torch.tensor([3, 0, 1])))
    inf = tensor_stats(torch.tensor([1.0, math.inf, math.nan]))
    assert (inf.nan, inf.inf, inf.finite) == (1, 1, False)


def test_module_steps_forward_backward_update() -> None:
    tr = trace_modules(*case("resnetish"), lr=0.1)
    phases = [s.phase for s in tr.steps]
    n = len(tr.calls)
    assert phases[:n] == ["forward"] * n and phases[n : 2 * n] == ["backward"] * n
    assert phases[2 * n :] == ["update"] * len(tr.params)
    first_back = tr.steps[n]
    assert first_back.node == "(model)"
    conv = next(s for s in tr.steps if s.phase == "backward" and s.node == "stem")
    assert dict(conv.norms) == pytest.approx(
        {p.name: p.grad.stats.norm for p in tr.params_of("stem") if p.grad}
    )
    assert "Conv2d((2, 1, 8, 8)) → (2, 4, 8, 8)" in tr.steps[0].text


def test_is_module_trace_type() -> None:
    assert isinstance(trace_modules(*case("embedding")), ModuleTrace)


# -- deferred statistics and in-place writes ------------------------------------------------
class TorchvisionBlock(nn.Module):
    """torchvision's BasicBlock: ``out += identity`` writes into bn2's output in place."""

    def __init__(self, c: int = 3) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, dtype=D)
        self.bn1 = nn.BatchNorm2d(c, dtype=D)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, dtype=D)
        self.bn2 = nn.BatchNorm2d(c, dtype=D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        result: torch.Tensor = self.relu(out)
        return result


class Writes(nn.Module):
    """Every kind of in-place write a forward can do to a module's output."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.ModuleList([nn.Linear(5, 5, dtype=D) for _ in range(6)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.lin[0](x)
        y[:, :2] = 0.0
        y = self.lin[1](y)
        y.narrow(1, 0, 3).mul_(2.0)  # through a view
        y = self.lin[2](y)
        torch.relu_(y)
        y = self.lin[3](y)
        nn.functional.leaky_relu(y, 0.1, True)  # inplace given by position
        y = self.lin[4](y)
        y.data.mul_(3.0)  # through .data (no version bump)
        y = self.lin[5](y)
        y += 1
        return y.sum(dim=1, keepdim=True)


def test_inplace_writes_in_forward_keep_the_returned_values() -> None:
    torch.manual_seed(2)
    stack = nn.Sequential(TorchvisionBlock(), TorchvisionBlock())
    for model, x, t in [
        (stack, torch.randn(2, 3, 5, 5, dtype=D), torch.randn(2, 3, 5, 5, dtype=D)),
        (Writes(), torch.randn(3, 5, dtype=D), torch.randn(3, 1, dtype=D)),
    ]:
        c: Case = (model, x, t, nn.MSELoss())
        tr = trace_modules(*c)
        seen, _, _ = reference(c)
        assert [call.name for call in tr.calls] == list(seen)
        for call in tr.calls:
            for pair, want in zip(call.outputs, seen[call.name], strict=True):
                same_stats(pair.value.stats, want)
        assert not any("changed in place" in w for w in tr.warnings)


def test_an_inplace_write_bptrace_cannot_see_is_reported() -> None:
    class Hidden(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(3, 3, dtype=D)
            self.b = nn.Linear(3, 1, dtype=D)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.a(x)
            torch.ops.aten.mul_.Tensor(y, 2.0)  # below torch functions: no WriteGuard
            out: torch.Tensor = self.b(y)
            return out

    tr = trace_modules(
        Hidden(), torch.randn(4, 3, dtype=D), torch.randn(4, 1, dtype=D), nn.MSELoss()
    )
    assert any("changed in place" in w and "(a)" in w for w in tr.warnings)


def test_statistics_are_deferred_and_unaffected_by_later_changes() -> None:
    model, x, t, loss_fn = case("resnetish")
    model.eval()
    targets = t.clone()
    tr = trace_modules(model, x, targets, loss_fn, lr=0.1)
    out = tr.call("stem").outputs[0]
    assert not out.value.settled and out.grad is not None and not out.grad.settled
    want_weight = torch_stats(model.stem.weight)
    want_targets = torch_stats(targets)
    with torch.no_grad():  # the caller trains and reuses its tensors afterwards
        for p in model.parameters():
            p.mul_(-3.0)
        targets.fill_(2)
        x.fill_(1.0)
    same_stats(tr.param("stem.weight").value.stats, want_weight)
    same_stats(tr.targets[0].stats, want_targets)
    assert tr.settle() is tr and all(t.settled for t in tr._tensor_infos())
    fresh = case("resnetish")
    fresh[0].eval()
    assert trace_modules(*fresh, lr=0.1).settle() == trace_modules(*fresh, lr=0.1)
