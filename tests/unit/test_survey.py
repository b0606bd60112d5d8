"""The tracer's one pass over a model's modules agrees with torch's own listings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from torch import nn

from bptrace.tracer.direct import survey


class Custom(nn.Module):
    """A module with children and a forward of its own: not a plain Sequential tree."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.fc2(torch.sigmoid(self.fc1(x)))
        return out


def _shared() -> nn.Module:
    lin = nn.Linear(2, 2)
    return nn.Sequential(lin, nn.Sigmoid(), lin)


def _tied() -> nn.Module:
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    b.weight = a.weight
    return nn.Sequential(a, nn.Tanh(), b)


def _no_bias() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 3, bias=False), nn.ReLU(), nn.Linear(3, 1))


def _nested() -> nn.Sequential:
    return nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.Sigmoid()), nn.Linear(3, 2))


MODELS: dict[str, Callable[[], nn.Module]] = {
    "sequential": lambda: nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2)),
    "nested": _nested,
    "custom": Custom,
    "shared module": _shared,
    "tied weight": _tied,
    "no bias": _no_bias,
    "a bare Linear": lambda: nn.Linear(2, 2),
}


@pytest.mark.parametrize("make", MODELS.values(), ids=list(MODELS))
def test_parameters_and_paths_are_torchs(make: Callable[[], nn.Module]) -> None:
    model = make()
    found = survey(model)
    assert found.modules == list(model.named_modules())
    assert list(found.params) == [name for name, _ in model.named_parameters()]
    assert all(found.params[n] is p for n, p in model.named_parameters())
    assert found.paths == {id(m): name for name, m in model.named_modules()}


@pytest.mark.parametrize(
    ("make", "plain"),
    [(MODELS["sequential"], True), (MODELS["nested"], True), (Custom, False)],
    ids=["sequential", "nested", "custom"],
)
def test_plain_and_direct_without_hooks(make: Callable[[], nn.Module], plain: bool) -> None:
    found = survey(make())
    assert (found.plain, found.direct) == (plain, plain)


def _hooks(model: nn.Sequential) -> Iterator[tuple[str, Any]]:
    leaf = model[0]
    yield "forward hook", leaf.register_forward_hook(lambda *a: None)
    yield "forward pre-hook", model.register_forward_pre_hook(lambda *a: None)
    yield "backward hook", leaf.register_full_backward_hook(lambda *a: None)
    glob = nn.modules.module.register_module_forward_hook
    yield "global forward hook", glob(lambda *a: None)  # type: ignore[no-untyped-call]


def test_any_hook_turns_the_direct_run_off() -> None:
    model = _nested()
    for what, handle in _hooks(model):
        try:
            found = survey(model)
            assert found.plain, what
            assert not found.direct, what
        finally:
            handle.remove()
    assert survey(model).direct


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit's, as dynamo loads
def test_a_compiled_module_turns_the_direct_run_off() -> None:
    """``module.compile()`` makes ``module(x)`` run the compiled call, which the direct run
    (calling ``forward``) would skip."""
    model = _nested()
    model[0].compile()  # compiled lazily, on the first call: this test never calls it
    found = survey(model)
    assert found.plain
    assert not found.direct
