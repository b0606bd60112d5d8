"""The two ways a pass is recorded give the same trace, and a trace is built from its own copies.

A tree of plain ``nn.Sequential`` containers runs child by child without hooks; any other
model runs with hooks. A ``Sequential`` subclass with no forward of its own computes exactly
what ``Sequential`` does, but takes the hooked way: both must give equal traces, and both must
match torch run independently (``test_modules.reference``).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from test_modules import Case, reference, same_stats
from torch import nn

from bptrace.tracer.modules import trace_modules

D = torch.float64


class Sequential(nn.Sequential):
    """Runs like nn.Sequential, and has its name; being a subclass, it is traced with hooks."""


class Doubler(nn.Module):
    """A leaf of the user's own: writes its input in place."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul_(2.0)


def _models() -> dict[str, nn.Sequential]:
    torch.manual_seed(3)
    shared = nn.Linear(6, 6, dtype=D)
    return {
        # Flatten returns a view of the pool's output; the in-place Hardtanh then writes into it
        "view_then_inplace": nn.Sequential(
            nn.Conv2d(1, 2, 3, padding=1, dtype=D),
            nn.BatchNorm2d(2, dtype=D),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Hardtanh(-0.5, 0.5, inplace=True),
            nn.Linear(2 * 3 * 3, 6, dtype=D),
            nn.Dropout(0.5),
        ),
        "nested_and_shared": nn.Sequential(
            nn.Flatten(),
            nn.Linear(36, 6, dtype=D),
            nn.Sequential(shared, nn.Tanh(), nn.Sequential(shared, nn.Identity())),
            nn.ReLU(),
        ),
        "own_leaf": nn.Sequential(
            nn.Flatten(),
            nn.Linear(36, 6, dtype=D),
            Doubler(),
            nn.Sigmoid(),
        ),
    }


def _case(model: nn.Module) -> Case:
    torch.manual_seed(4)
    return model, torch.randn(3, 1, 6, 6, dtype=D), torch.randn(3, 6, dtype=D), nn.MSELoss()


@pytest.mark.parametrize("name", ["view_then_inplace", "nested_and_shared", "own_leaf"])
def test_plain_and_hooked_runs_agree_and_match_torch(name: str) -> None:
    plain = _models()[name]
    hooked = Sequential(*copy.deepcopy(list(plain)))
    plain_trace = trace_modules(*_case(plain), lr=0.1)
    hooked_trace = trace_modules(*_case(hooked), lr=0.1)
    assert plain_trace.to_dict() == hooked_trace.to_dict()
    seen, grads, loss = reference(_case(plain))
    assert [c.name for c in plain_trace.calls] == list(seen)
    for call in plain_trace.calls:
        for pair, want in zip(call.outputs, seen[call.name], strict=True):
            same_stats(pair.value.stats, want)
    for p in plain_trace.params:
        assert p.grad is not None
        np.testing.assert_allclose(p.grad.array(), grads[p.name].numpy(), rtol=1e-10, atol=1e-14)
    assert not any("changed in place" in w for w in plain_trace.warnings)


def test_values_before_in_place_writes_are_kept() -> None:
    model = _models()["view_then_inplace"]
    tr = trace_modules(*_case(model))
    assert tr.call("1").outputs[0].value.stats.min < 0  # batch norm's output, before the ReLU
    assert tr.call("2").outputs[0].value.stats.min == 0
    for before in ("3", "4"):  # the pool's output and the flattened view of it, before "5"
        assert tr.call(before).outputs[0].value.stats.max > 0.5
    assert tr.call("5").outputs[0].value.stats.max == 0.5
    # autograd routes the gradient around a view written in place: the pool's output has
    # its gradient, the view none (a limitation the README states)
    assert tr.call("3").outputs[0].grad is not None and tr.call("4").outputs[0].grad is None
    own = trace_modules(*_case(_models()["own_leaf"]))
    first = own.call("1").outputs[0].value.stats
    doubled = own.call("2").outputs[0].value.stats
    assert doubled.norm == pytest.approx(2 * first.norm, rel=1e-12)


def test_a_shared_module_gets_call_indices_in_both_runs() -> None:
    for model in (_models()["nested_and_shared"], Sequential(*_models()["nested_and_shared"])):
        tr = trace_modules(*_case(model))
        assert tr.module("2.0").calls == ["2.0", "2.0#2"]
        assert tr.module("2").children == ["2.0", "2.1", "2.2"]
        assert tr.module("2.2").children == ["2.2.1"]  # the shared module is listed once


def test_a_sequential_with_its_own_hook_is_run_with_hooks() -> None:
    model = _models()["nested_and_shared"]
    seen: list[tuple[int, ...]] = []
    model.register_forward_hook(lambda m, a, out: seen.append(tuple(out.shape)))
    tr = trace_modules(*_case(model))
    assert seen == [(3, 6)]  # the user's hook ran once
    assert [c.name for c in tr.calls][-1] == "(model)"
    assert len(model._forward_hooks) == 1


def test_the_trace_is_of_the_model_as_it_was() -> None:
    model = _models()["view_then_inplace"]
    tr = trace_modules(*_case(model), lr=0.1)  # nothing built yet
    weight = model[0].weight.detach().clone()
    model[6] = nn.Linear(18, 6, bias=False, dtype=D)  # the caller changes its model
    model.append(nn.Tanh())
    with torch.no_grad():
        model[0].weight.mul_(-1.0)
    assert [m.path for m in tr.modules] == ["", *(str(k) for k in range(8))]
    assert tr.module("6").params == ["6.weight", "6.bias"]
    np.testing.assert_array_equal(tr.param("0.weight").value.array(), weight.numpy())


class GivesParameter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(3, dtype=D))

    def forward(self) -> torch.Tensor:
        return self.scale


class UsesParameter(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gives = GivesParameter()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gives()


def test_an_output_that_is_a_parameter_is_kept_as_it_was() -> None:
    model = UsesParameter()
    tr = trace_modules(model, torch.ones(2, 3, dtype=D), torch.zeros(2, 3, dtype=D), nn.MSELoss())
    with torch.no_grad():
        model.gives.scale.fill_(5.0)
    np.testing.assert_array_equal(tr.call("gives").outputs[0].value.array(), [1.0, 1.0, 1.0])


# -- the wrapped run: any other model ----------------------------------------------------------
class Net(nn.Module):
    """A custom forward around builtin containers: traced by wrapping each module's forward."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(5)
        self.features = nn.Sequential(
            nn.Flatten(), nn.Linear(36, 6, dtype=D), nn.ReLU(), nn.Linear(6, 6, dtype=D)
        )
        self.head = nn.Linear(6, 6, dtype=D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.features(x)
        y[:, 0] = 5.0  # the user's own in-place write into the features' output
        out: torch.Tensor = self.head(y)
        return out


def test_forwards_are_put_back_and_an_own_forward_survives() -> None:
    model = Net()
    marker = model.head.forward  # a bound method set on the instance, as some tools do
    model.head.forward = marker  # type: ignore[method-assign]
    tr = trace_modules(*_case(model))
    assert [c.name for c in tr.calls] == [
        "features.0",
        "features.1",
        "features.2",
        "features.3",
        "features",
        "head",
        "(model)",
    ]
    assert model.head.__dict__["forward"] is marker
    assert all("forward" not in m.__dict__ for m in model.modules() if m is not model.head)


def test_the_users_in_place_write_is_seen_inside_a_builtin_container() -> None:
    model = Net()
    tr = trace_modules(*_case(model))
    features = tr.call("features").outputs[0].value.stats
    assert features.max < 5.0  # as the Sequential returned it, not after y[:, 0] = 5
    assert not any("changed in place" in w for w in tr.warnings)
    same_stats(features, reference(_case(Net()))[0]["features"][0])


def test_a_forward_hook_that_replaces_the_output_is_recorded_after_it() -> None:
    model = Net()
    model.head.register_forward_hook(lambda m, a, out: out * 0.0)
    tr = trace_modules(*_case(model))
    head = tr.call("head").outputs[0].value.stats
    assert head.norm == 0.0 and tr.call("(model)").outputs[0].value.stats.norm == 0.0
    assert len(model.head._forward_hooks) == 1


class Fails(nn.Module):
    """Raises inside a builtin container, inside the user's forward."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 2, dtype=D), nn.Conv2d(1, 1, 3, dtype=D))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.body(x)
        return out


def test_a_failing_forward_leaves_every_module_and_mode_as_it_was() -> None:
    from bptrace.model.errors import BptraceError

    model = Fails()
    with pytest.raises(BptraceError, match="forward pass failed: RuntimeError"):
        trace_modules(model, torch.randn(2, 3, dtype=D), torch.randn(2), nn.MSELoss())
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert torch._C._len_torch_function_stack() == 0
    tr = trace_modules(Net(), *_case(Net())[1:])  # and the next trace works
    assert tr.calls[-1].name == "(model)"


class ReadsRunningMean(nn.Module):
    """The user's code reads batch norm's running statistics during the pass."""

    def __init__(self) -> None:
        super().__init__()
        self.bn = nn.BatchNorm1d(36, dtype=D)
        self.lin = nn.Linear(36, 6, dtype=D)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(x.flatten(1)) + self.bn.running_mean
        out: torch.Tensor = self.lin(y)
        return out


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batch_norm_running_statistics_are_untouched_either_way(momentum: float | None) -> None:
    torch.manual_seed(6)
    plain = nn.Sequential(
        nn.Flatten(), nn.BatchNorm1d(36, momentum=momentum, dtype=D), nn.Linear(36, 6, dtype=D)
    )
    with torch.no_grad():  # running statistics that are not the defaults
        plain[1].running_mean.uniform_(-1.0, 1.0)
        plain[1].running_var.uniform_(0.5, 2.0)
    for model in (plain, ReadsRunningMean()):
        for train in (True, False):
            model.train(train)
            before = copy.deepcopy(model.state_dict())
            tr = trace_modules(*_case(model))
            seen, _, loss = reference(_case(copy.deepcopy(model)))
            assert tr.loss == pytest.approx(loss, rel=1e-12)
            for call in tr.calls:
                same_stats(call.outputs[0].value.stats, seen[call.name][0])
            after = model.state_dict()
            assert all(torch.equal(after[k], v) for k, v in before.items())
