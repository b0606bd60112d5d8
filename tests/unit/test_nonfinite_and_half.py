"""float16 traces are checked with float16's precision; a non-finite gradient (inf, nan) agrees
with the same value; huge numbers are written with an exponent, not 200 digits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

from bptrace.model.fmt import fmt, fmt_sig

HALF_MODEL = """
import bptrace


def half():
    model, inputs, targets, loss_fn = bptrace.classic()
    return model.half(), inputs.half(), targets.half(), loss_fn
"""

# the classic network with identity activations and inputs of 1e200: h1 = 3.5e199,
# o1 − t1 = 3.875e199, so ∂loss/∂w5 = (o1 − t1)·h1 overflows to inf, in torch and in ours
INF_SPEC = """
layers = [2, 2, 2]
activation = "identity"
output_activation = "identity"
inputs = [1e200, 1e200]
targets = [0.01, 0.99]
weights = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
biases = [[0.35, 0.35], [0.60, 0.60]]
"""

# h1 = h2 = inf (3·1e308 overflows), so o1 = 0.40·inf − 0.45·inf = nan, and so is its gradient
NAN_SPEC = INF_SPEC.replace("1e200, 1e200", "1e308, 1e308").replace(
    "[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45]", "[[3.0, 3.0], [3.0, 3.0]], [[0.40, -0.45]"
)

# four float16 layers, four samples: the export's vectorised path must judge the ∂loss/∂w and
# ∂loss/∂h steps by the same sizes as the steps do (seed 4 had one step it called wrong)
DEEP_HALF_MODEL = """
import torch
import torch.nn as nn


def deep():
    torch.manual_seed(4)
    model = nn.Sequential(
        nn.Linear(3, 7), nn.Sigmoid(), nn.Linear(7, 3), nn.Tanh(),
        nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 3), nn.Sigmoid(),
    )
    inputs = torch.rand(4, 3) * 4 - 2
    targets = torch.rand(4, 3)
    return model.half(), inputs.half(), targets.half(), nn.MSELoss()
"""

Cli = Callable[..., Result]


@pytest.fixture
def half_model(tmp_path: Path) -> str:
    path = tmp_path / "halfmodel.py"
    path.write_text(HALF_MODEL, encoding="utf-8")
    return f"{path}:half"


def _backward(steps: list[dict[str, object]]) -> list[dict[str, object]]:
    return [s for s in steps if s["phase"] == "backward"]


# -- float16 ----------------------------------------------------------------------------------


def test_float16_classic_every_step_agrees_with_autograd() -> None:
    import bptrace

    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model.half(), inputs.half(), targets.half(), loss_fn)
    assert tr.network.dtype == "float16"
    steps = [s for s in tr.steps if s.phase == "backward"]
    assert len(steps) == 22
    assert [s.node for s in steps if not s.agrees] == []
    w5 = tr.steps[tr.steps.index_of("w5", "backward") or 0]
    # ours from float16's forward values in float64, autograd in float16: 7e-4 apart
    assert w5.value == pytest.approx(0.08215464737484357, rel=1e-12)
    assert w5.autograd == 0.08221435546875
    assert w5.agrees
    export = tr.to_dict()
    assert all(s["agrees"] is True for s in _backward(export["steps"]))


def test_float16_export_agrees_on_every_step(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "deephalf.py"
    path.write_text(DEEP_HALF_MODEL, encoding="utf-8")
    r = cli("export", "--model", f"{path}:deep")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["network"]["dtype"] == "float16"
    steps = _backward(doc["steps"])
    assert len(steps) == 111
    assert [s["node"] for s in steps if s["agrees"] is not True] == []


def test_float16_tolerance_still_catches_a_step_off_by_two_percent() -> None:
    import numpy as np

    import bptrace
    from bptrace.model.tolerance import Magnitudes

    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model.half(), inputs.half(), targets.half(), loss_fn)
    mag = Magnitudes(tr)
    autograd = np.float64(0.08221435546875)
    assert mag.check("w5", np.float64(0.08215464737484357), autograd)[0]
    assert not mag.check("w5", np.float64(0.08215464737484357 * 1.02), autograd)[0]


def test_float64_and_float32_tolerances_are_unchanged() -> None:
    from bptrace.model.tolerance import rtol_of

    assert rtol_of("float64") == 1e-9
    assert rtol_of("float32") == 1e-5
    assert rtol_of("float16") == 1e-2


def test_float16_check_accepts_the_right_formula(cli: Cli, half_model: str) -> None:
    r = cli("check", "w5", "(o1-t1)*o1*(1-o1)*h1", "--model", half_model)
    assert r.code == 0, r.out
    assert "✓ right: ∂loss/∂w5" in r.out
    assert "the right value is  0.0822143554688  (autograd)" in r.out
    wrong = cli("check", "w5", "(o1-t1)*h1", "--model", half_model)
    assert wrong.code == 1, wrong.out
    assert "✗ wrong: ∂loss/∂w5" in wrong.out


def test_float16_explain_says_agrees(cli: Cli, half_model: str) -> None:
    r = cli("explain", "w5", "--model", half_model)
    assert r.code == 0, r.err
    assert (
        "✓ autograd 0.08221435546875 agrees (within ±0.00084: 0.01 × the sizes summed to make it)"
        in r.out
    )
    assert "DISAGREES" not in r.out


# -- non-finite gradients -------------------------------------------------------------------


def test_inf_gradient_check_is_right(cli: Cli, write_spec: Callable[..., Path]) -> None:
    spec = str(write_spec(INF_SPEC))
    r = cli("check", "w5", "(o1-t1)*h1", "--spec", spec)
    assert r.code == 0, r.out
    assert "your formula gives  inf" in r.out
    assert "the right value is  inf  (autograd)" in r.out
    # a finite value against inf stays wrong
    wrong = cli("check", "w5", "h1", "--spec", spec)
    assert wrong.code == 1, wrong.out
    assert "your formula gives  3.5e+199" in wrong.out


def test_inf_gradient_explain_and_export_agree(cli: Cli, write_spec: Callable[..., Path]) -> None:
    spec = str(write_spec(INF_SPEC))
    r = cli("explain", "w5", "--spec", spec)
    assert "  ✓ autograd inf agrees (the same value on both sides)" in r.out
    assert "DISAGREES" not in r.out
    exported = cli("export", "--spec", spec)
    assert exported.code == 0, exported.err
    steps = _backward(json.loads(exported.out)["steps"])
    w5 = next(s for s in steps if s["node"] == "w5")
    assert w5["autograd"] == "inf"
    assert w5["agrees"] is True
    assert [s["node"] for s in steps if s["agrees"] is not True] == []


def test_inf_gradient_steps_agree_in_the_api(write_spec: Callable[..., Path]) -> None:
    import bptrace

    model, inputs, targets, loss_fn, _options = bptrace.load_spec(write_spec(INF_SPEC))
    tr = bptrace.trace(model, inputs, targets, loss_fn)
    assert tr["w5"].grad == float("inf")
    assert [s.node for s in tr.steps if s.phase == "backward" and not s.agrees] == []


def test_nan_gradient_agrees_with_nan(cli: Cli, write_spec: Callable[..., Path]) -> None:
    spec = str(write_spec(NAN_SPEC))
    r = cli("explain", "o1", "--spec", spec)
    assert "  ✓ autograd nan agrees (the same value on both sides)" in r.out
    check = cli("check", "o1", "o1-t1", "--spec", spec)
    assert check.code == 0, check.out
    assert "your formula gives  nan" in check.out
    exported = cli("export", "--spec", spec)
    steps = _backward(json.loads(exported.out)["steps"])
    assert {s["autograd"] for s in steps if s["node"] in ("o1", "w5", "w1", "h1")} == {"nan"}
    assert [s["node"] for s in steps if s["agrees"] is not True] == []


def test_agreement_of_non_finite_values() -> None:
    from bptrace.model.tolerance import agree

    inf, nan = float("inf"), float("nan")
    assert agree(inf, inf, inf) and agree(-inf, -inf, 0.0) and agree(nan, nan, 0.0)
    assert not agree(inf, -inf, inf)
    assert not agree(1.0, inf, inf)  # |1 − inf| = inf <= inf, but finite against inf
    assert not agree(nan, inf, inf)
    assert agree(1.0, 1.0 + 1e-10, 1e-9) and not agree(1.0, 1.0 + 1e-8, 1e-9)


# -- huge numbers -------------------------------------------------------------------------------


def test_huge_numbers_use_an_exponent() -> None:
    assert fmt(1e300) == "1e300"
    assert fmt(-5.489254106589528e199) == "−5.48925e199"
    assert fmt(1e15) == "1e15"
    assert fmt(1.5e15) == "1.5e15"
    # below 1e15, and fmt_sig, as before
    assert fmt(999999999999999.0) == "999999999999999"
    assert fmt(123456.75) == "123456.75"
    assert fmt(0.0821670405) == "0.082167"
    assert fmt(1e-300) == "1e−300"
    assert fmt_sig(1e300, 4) == "1.000e300"
    assert fmt_sig(-5.489254106589528e199, 3) == "−5.49e199"


def test_explain_and_worksheet_of_huge_values_are_short(
    cli: Cli, write_spec: Callable[..., Path]
) -> None:
    spec = str(write_spec(INF_SPEC))
    r = cli("explain", "w5", "--spec", spec)
    assert "    = 3.875e199 × 1 × 3.5e199\n" in r.out
    assert "∂loss/∂o1    (o1 − t1)    3.875e199" in r.out
    sheet = cli("worksheet", "--spec", spec)
    assert sheet.code == 0, sheet.err
    for text in (r.out, sheet.out):
        assert not re.search(r"\d{30}", text)
