"""``explain NAME --matrix``: the vectorised layer equals the scalar steps and autograd, on the
classic network (reference numbers) and on random MLPs and batches (hypothesis)."""

from __future__ import annotations

import os
import random
from collections.abc import Callable

import numpy as np
import pytest
from bptrace_test_helpers import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bptrace.model.matrix import layer_matrices, lines
from bptrace.model.spec import parse_spec_text
from bptrace.model.trace import Trace

EXAMPLES = int(os.environ.get("BPTRACE_HYPOTHESIS_EXAMPLES", "25"))


def test_classic_layer_two(classic_trace: Trace) -> None:
    view = layer_matrices(classic_trace, "w6")
    dw = view.block("∂loss/∂W2").value
    want = [
        [0.08216704056423077, 0.08266762784753325],
        [-0.022602540477475067, -0.02274024221597822],
    ]
    np.testing.assert_allclose(dw, want, rtol=1e-12)
    np.testing.assert_allclose(
        view.block("Δ2").value, [[0.13849856162855695, -0.03809823651655623]], rtol=1e-12
    )
    text = "\n".join(lines(view, classic_trace))
    assert "∂loss/∂W2[0,1] = ∂loss/∂w6 = 0.0826676  ✓" in text
    assert "Δ2ᵀ · A   (2×1)·(1×2)" in text


def test_classic_layer_one_has_the_transpose(classic_trace: Trace) -> None:
    view = layer_matrices(classic_trace, "h1")
    np.testing.assert_allclose(
        view.block("∂loss/∂H1").value, [[0.03635030639314467, 0.0413703226487447]], rtol=1e-12
    )
    np.testing.assert_allclose(
        view.block("∂loss/∂W1").value,
        [
            [0.0004385677344743467, 0.0008771354689486934],
            [0.0004977127352608599, 0.0009954254705217198],
        ],
        rtol=1e-12,
    )
    text = "\n".join(lines(view, classic_trace))
    assert "W2ᵀ·δ2" in text and "Δ2 · W2   (1×2)·(2×2)" in text


def test_cli(cli: Callable[..., Result]) -> None:
    result = cli("explain", "w2", "--matrix")
    assert result.code == 0
    assert "∂loss/∂W1[0,1] = ∂loss/∂w2 = 0.000877135  ✓" in result.out
    assert "✗" not in result.out
    assert cli("explain", "loss", "--matrix").code == 2


SPEC = """
layers = {layers}
activation = {hidden}
output_activation = "{out}"
loss = "{loss}"
inputs = {inputs}
targets = {targets}
seed = {seed}
"""


@st.composite
def networks(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 3))
    layers = [draw(st.integers(1, 4)) for _ in range(depth + 1)]
    batch = draw(st.integers(1, 4))
    seed = draw(st.integers(0, 10_000))
    rnd = random.Random(seed)
    hidden = [
        draw(st.sampled_from(["sigmoid", "tanh", "leaky_relu", "identity"]))
        for _ in range(depth - 1)
    ]
    loss = draw(st.sampled_from(["mse", "smooth_l1", "bce", "cross_entropy"]))
    out = {"bce": "sigmoid", "cross_entropy": "identity"}.get(
        loss, draw(st.sampled_from(["sigmoid", "tanh", "identity", "softmax"]))
    )
    inputs = [[round(rnd.uniform(-1, 1), 3) for _ in range(layers[0])] for _ in range(batch)]
    if loss == "cross_entropy":
        targets: list[object] = [rnd.randrange(layers[-1]) for _ in range(batch)]
    else:
        targets = [
            [round(rnd.uniform(0.05, 0.95), 3) for _ in range(layers[-1])] for _ in range(batch)
        ]
    return SPEC.format(
        layers=layers,
        hidden=str(hidden).replace("'", '"') if hidden else '"sigmoid"',
        out=out,
        loss=loss,
        inputs=inputs,
        targets=targets,
        seed=seed,
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_mlps_match_scalar_steps_and_autograd(text: str) -> None:
    from bptrace.tracer.api import trace_spec

    tr = trace_spec(parse_spec_text(text, "random"))
    for k in range(1, tr.network.depth + 1):
        view = layer_matrices(tr, tr.namer.weight(k, 0, 0))
        layer = tr.layers[k - 1]
        np.testing.assert_allclose(
            view.block(f"∂loss/∂W{k}").value, layer.weight.grad, rtol=1e-9, atol=1e-13
        )
        np.testing.assert_allclose(view.block(f"Δ{k}").value, layer.pre_grad, rtol=1e-9, atol=1e-13)
        assert layer.bias is not None
        np.testing.assert_allclose(
            view.block(f"∂loss/∂B{k}").value, layer.bias.grad, rtol=1e-9, atol=1e-13
        )
        for where, scalar, vec, step, auto in view.entries:
            assert vec == pytest.approx(step, rel=1e-9, abs=1e-13), (where, scalar)
            assert vec == pytest.approx(auto, rel=1e-9, abs=1e-13), (where, scalar)


def test_the_text_of_a_wide_layer_builds_only_the_steps_it_shows() -> None:
    """``explain w1 --matrix`` on a 498-wide layer took 33 s: every entry's scalar step was
    built (249,000) to show 40. Entries are made when asked; the count is known without them."""
    import torch
    from torch import nn

    import bptrace

    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(60, 60), nn.Sigmoid(), nn.Linear(60, 2)).double()
    tr = bptrace.trace(
        model, torch.rand(1, 60, dtype=torch.float64), torch.rand(1, 2).double(), nn.MSELoss()
    )
    view = layer_matrices(tr, "w1")
    text = lines(view, tr)
    assert text[-1] == "  … 3680 more entries"  # 60·60 weights + 60 biases + 60 Δ, 40 shown
    assert len(tr.steps._cache) <= 40
    assert view.count == len(view.entries) == 3720
