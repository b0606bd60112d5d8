"""The fast export writes the same JSON bytes as the plain path (``json.dumps`` of ``to_dict``).

The export renders weights' steps and nodes a layer at a time (``model/export_scalars.py``)
and writes JSON with its own encoder (``model/jsonwrite.py``); ``Trace.to_dict`` still builds
every step one at a time. Both must give the same document, byte for byte, on real torch
traces of many shapes: batch 1 and batches past numpy's pairwise-summation blocks (8, 128),
float32 and float64, softmax and elementwise layers, layers without a bias, frozen
parameters, every loss, with and without an lr, and values that are not finite.
"""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import bptrace
from bptrace.model.jsonio import dumps, trace_to_dict
from bptrace.model.jsonwrite import dumps as fast_dumps
from bptrace.model.trace import Trace


def plain(tr: object, detail: str) -> str:
    doc = trace_to_dict(tr, detail)  # type: ignore[arg-type]
    return json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False) + "\n"


def mlp(sizes: list[int], acts: list[nn.Module | None], bias: list[bool]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for k, act in enumerate(acts):
        layers.append(nn.Linear(sizes[k], sizes[k + 1], bias=bias[k]))
        if act is not None:
            layers.append(act)
    return nn.Sequential(*layers)


CASES = {
    # name: (sizes, activations, biases, batch, loss, dtype, lr)
    "sigmoid-mse-b1": (
        [2, 3, 2],
        [nn.Sigmoid(), nn.Sigmoid()],
        [True, True],
        1,
        "mse",
        torch.float64,
        0.5,
    ),
    "relu-ce-b9": ([5, 7, 4], [nn.ReLU(), None], [True, False], 9, "ce", torch.float32, 0.1),
    "tanh-softmax-b130": (
        [3, 4, 3],
        [nn.Tanh(), nn.Softmax(dim=-1)],
        [False, True],
        130,
        "mse",
        torch.float64,
        None,
    ),
    "leaky-l1-b3": (
        [4, 6, 5, 2],
        [nn.LeakyReLU(0.2), nn.Tanh(), None],
        [True, True, True],
        3,
        "l1",
        torch.float64,
        0.05,
    ),
    "softmax-b1-f32": ([3, 3], [nn.Softmax(dim=-1)], [True], 1, "bce", torch.float32, 0.3),
    "smoothl1-b8": (
        [2, 5, 2],
        [nn.Sigmoid(), None],
        [True, True],
        8,
        "smooth_l1",
        torch.float64,
        1.0,
    ),
}


def make(name: str) -> object:
    sizes, acts, bias, batch, loss, dtype, lr = CASES[name]
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    model = mlp(sizes, acts, bias).to(dtype)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=dtype))
    x = torch.randn(batch, sizes[0], generator=g, dtype=dtype)
    if loss == "ce":
        t = torch.randint(0, sizes[-1], (batch,), generator=g)
        fn: nn.Module = nn.CrossEntropyLoss()
    elif loss == "bce":
        t = torch.rand(batch, sizes[-1], generator=g, dtype=dtype)
        fn = nn.BCELoss()
    else:
        t = torch.randn(batch, sizes[-1], generator=g, dtype=dtype)
        fn = {"mse": nn.MSELoss(), "l1": nn.L1Loss(), "smooth_l1": nn.SmoothL1Loss(beta=0.5)}[loss]
    if name == "leaky-l1-b3":
        model[0].bias.requires_grad_(False)  # a frozen parameter
    tr = bptrace.trace(model, x, t, fn, lr=lr)
    assert isinstance(tr, Trace) and tr.network.batch == batch
    return tr


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("detail", ["scalars", "tensors"])
def test_same_bytes_as_the_plain_path(name: str, detail: str) -> None:
    tr = make(name)
    fast = dumps(tr, detail)  # type: ignore[arg-type]
    assert fast == plain(tr, detail)
    assert dumps(tr, detail) == fast  # the same trace gives the same bytes every time  # type: ignore[arg-type]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_not_finite_values_are_strings_in_both_paths() -> None:
    tr = make("sigmoid-mse-b1")
    tr.layers[0].weight.grad[0, 0] = float("nan")  # type: ignore[attr-defined]
    tr.layers[1].post[0, 1] = float("inf")  # type: ignore[attr-defined]
    tr.layers[0].weight.updated[1, 0] = float("-inf")  # type: ignore[attr-defined]
    fast = dumps(tr, "scalars")  # type: ignore[arg-type]
    assert fast == plain(tr, "scalars")
    assert '"nan"' in fast and '"inf"' in fast and '"-inf"' in fast


def test_encoder_matches_json_dumps() -> None:
    doc = {
        "a": [1.5, -0.0, 1e-300, 2.5e20, 3],
        "b": {"x": [], "y": {}, "z": [[0.1, 0.2], [True, None, 't\u00e9\n"q"']]},
        "c": [{"k": 1}, [], 0.30000000000000004],
        "d": (1.0, 2.0),
    }
    assert fast_dumps(doc) == json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)
