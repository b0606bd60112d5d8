"""A correctness sweep over losses, reductions, activations, biases, frozen parameters, batch
sizes, dtypes, depths and lr: every step agrees with autograd, the update is torch.optim.SGD's
step to the last bit, `check` accepts the textbook formula and refuses wrong ones, and export,
load, explain and worksheet run clean for every loss."""

from __future__ import annotations

import copy
import itertools
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

torch = pytest.importorskip("torch")
nn = torch.nn

LOSSES: dict[str, Callable[[str], object]] = {
    "mse": lambda r: nn.MSELoss(reduction=r),
    "l1": lambda r: nn.L1Loss(reduction=r),
    "smooth_l1": lambda r: nn.SmoothL1Loss(reduction=r, beta=1.0),
    "smooth_l1_half": lambda r: nn.SmoothL1Loss(reduction=r, beta=0.5),
    "bce": lambda r: nn.BCELoss(reduction=r),
    "ce_indices": lambda r: nn.CrossEntropyLoss(reduction=r),
    "ce_probs": lambda r: nn.CrossEntropyLoss(reduction=r),
    "ce_probs_unnormalised": lambda r: nn.CrossEntropyLoss(reduction=r),
}
ACTIVATIONS: dict[str, Callable[[], nn.Module] | None] = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "softmax": lambda: nn.Softmax(dim=-1),
    "identity": None,
}


def _model(depth: int, hidden: str, out: str, bias: list[bool], dtype: object) -> nn.Module:
    sizes = [2] + [3] * depth
    mods: list[nn.Module] = []
    for k in range(depth):
        mods.append(nn.Linear(sizes[k], sizes[k + 1], bias=bias[k]))
        make = ACTIVATIONS[hidden if k < depth - 1 else out]
        if make is not None:
            mods.append(make())
    return nn.Sequential(*mods).to(dtype)


def _targets(loss: str, batch: int, dtype: object) -> object:
    g = torch.Generator().manual_seed(1)
    if loss == "ce_indices":
        return torch.tensor([0, 2, 1][:batch])
    t = torch.rand(batch, 3, generator=g, dtype=torch.float64)
    if loss == "ce_probs":
        t = t / t.sum(dim=1, keepdim=True)
    return t.to(dtype)


def _sgd(model: nn.Module, x: object, t: object, loss_fn: object, lr: float) -> list[float]:
    """Every parameter after one torch.optim.SGD step, in bptrace's w/b order."""
    m = copy.deepcopy(model)
    params = [p for p in m.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=lr)
    opt.zero_grad()
    loss_fn(m(x), t).backward()  # type: ignore[operator]
    opt.step()
    out: list[float] = []
    for lin in (mod for mod in m if isinstance(mod, nn.Linear)):
        out += lin.weight.detach().double().reshape(-1).tolist()
        out += [] if lin.bias is None else lin.bias.detach().double().reshape(-1).tolist()
    return out


def _traced_params(tr: object, model: nn.Module) -> list[float]:
    got: list[float] = []
    w = b = 0
    for lin in (mod for mod in model if isinstance(mod, nn.Linear)):
        for _ in range(lin.weight.numel()):
            w += 1
            node = tr[f"w{w}"]  # type: ignore[index]
            got.append(node.value if node.updated is None else node.updated)
        for _ in range(lin.out_features):
            b += 1
            if lin.bias is not None:
                node = tr[f"b{b}"]  # type: ignore[index]
                got.append(node.value if node.updated is None else node.updated)
    return got


def _cases() -> list[tuple[object, ...]]:
    cases: list[tuple[object, ...]] = []
    for loss, red, out in itertools.product(LOSSES, ["mean", "sum"], ACTIVATIONS):
        if loss == "bce" and out not in ("sigmoid", "softmax"):
            continue
        for depth, hidden, bias, frozen, batch, lr in [
            (1, "sigmoid", "on", False, 1, 0.5),
            (2, "tanh", "off", True, 3, 0.5),
            (2, "leaky_relu", "mixed", False, 3, None),
            (3, "relu", "mixed", True, 1, 0.1),
            (3, "sigmoid", "on", False, 3, 0.5),
        ]:
            cases.append((loss, red, out, depth, hidden, bias, frozen, batch, lr, "float64"))
        if out in ("sigmoid", "softmax"):
            for dtype in ("float32", "float16"):
                cases.append((loss, red, out, 2, "tanh", "on", True, 3, 0.5, dtype))
    return cases


@pytest.mark.parametrize(
    ("loss", "red", "out", "depth", "hidden", "bias", "frozen", "batch", "lr", "dtype"), _cases()
)
def test_steps_agree_and_update_is_sgd(
    loss: str,
    red: str,
    out: str,
    depth: int,
    hidden: str,
    bias: str,
    frozen: bool,
    batch: int,
    lr: float | None,
    dtype: str,
) -> None:
    import bptrace

    torch.manual_seed(zlib.crc32(f"{loss} {red} {out} {depth} {batch}".encode()))
    dt = getattr(torch, dtype)
    biases = {"on": [True] * depth, "off": [False] * depth}.get(
        bias, [k % 2 == 0 for k in range(3)]
    )
    model = _model(depth, hidden, out, biases[:depth], dt)
    if frozen:
        next(model.parameters()).requires_grad_(False)
    x = torch.randn(batch, 2, dtype=dt)
    t = _targets(loss, batch, dt)
    loss_fn = LOSSES[loss](red)
    tr = bptrace.trace(model, x, t, loss_fn, lr=lr)
    assert [s.node for s in tr.steps if s.agrees is False] == []
    if lr is not None and any(p.requires_grad for p in model.parameters()):
        assert _traced_params(tr, model) == _sgd(model, x, t, loss_fn, lr)


# -- check: the textbook formula, and wrong ones ----------------------------------------------

SPEC = """\
layers = [2, 2, 2]
activation = "sigmoid"
output_activation = "{out}"
loss = "{loss}"
reduction = "{red}"
beta = {beta}
inputs = {inputs}
targets = {targets}
weights = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
biases = [[0.35, 0.35], [0.60, 0.60]]
lr = 0.5
"""
BATCH = "[[0.05, 0.10], [0.5, -0.3], [1.0, 2.0]]"
# (spec loss, beta, targets for one sample, ∂loss/∂o_j per sample before the 1/N of the mean)
KINDS = {
    "mse": ("mse", 1.0, "[0.01, 0.99]", "2*(o{j} - t{j})"),
    "l1": ("l1", 1.0, "[0.01, 0.99]", "(o{j} - t{j})/abs(o{j} - t{j})"),
    "smooth_l1": (
        "smooth_l1",
        1.0,
        "[0.01, 0.99]",
        "(relu(o{j} - t{j} + 1) - relu(o{j} - t{j} - 1) - 1)",
    ),
    "smooth_l1_half": (
        "smooth_l1",
        0.5,
        "[0.01, 0.99]",
        "(relu((o{j} - t{j})/0.5 + 1) - relu((o{j} - t{j})/0.5 - 1) - 1)",
    ),
    "bce": ("bce", 1.0, "[0.01, 0.99]", "(o{j} - t{j})/(o{j}*(1 - o{j}))"),
    "ce_indices": ("cross_entropy", 1.0, "0", "(exp(o{j})/(exp(o1) + exp(o2)) - {hot})"),
    "ce_probs": ("cross_entropy", 1.0, "[0.3, 0.7]", "(exp(o{j})/(exp(o1) + exp(o2)) - t{j})"),
    "ce_probs_unnormalised": (
        "cross_entropy",
        1.0,
        "[0.3, 0.4]",
        "(exp(o{j})/(exp(o1) + exp(o2))*(t1 + t2) - t{j})",
    ),
}


def _spec(write_spec: Callable[..., Path], kind: str, red: str, out: str, batch: int) -> Path:
    loss, beta, target, _ = KINDS[kind]
    targets = target if batch == 1 else "[" + ", ".join([target] * batch) + "]"
    inputs = "[0.05, 0.10]" if batch == 1 else BATCH
    text = SPEC.format(out=out, loss=loss, red=red, beta=beta, inputs=inputs, targets=targets)
    return write_spec(text, f"{kind}-{red}-{out}-{batch}.toml")


def _textbook(kind: str, red: str, out: str, batch: int) -> dict[str, str]:
    loss, _, _, grad = KINDS[kind]
    n = 1 if red == "sum" else batch * (1 if loss == "cross_entropy" else 2)
    g = {j: f"{grad.format(j=j, hot=int(j == 1))}/{n}" for j in (1, 2)}
    act = {j: (f"o{j}*(1 - o{j})" if out == "sigmoid" else "1") for j in (1, 2)}
    h1 = f"({g[1]}*{act[1]}*w5 + {g[2]}*{act[2]}*w7)"
    return {"o1": g[1], "w5": f"{g[1]}*{act[1]}*h1", "h1": h1, "w1": f"{h1}*h1*(1 - h1)*i1"}


CHECK_CASES = [
    (kind, red, out, batch)
    for kind, red, batch in itertools.product(KINDS, ["mean", "sum"], [1, 3])
    for out in (["sigmoid"] if kind == "bce" else ["sigmoid", "identity"])
]


@pytest.mark.parametrize(("kind", "red", "out", "batch"), CHECK_CASES)
def test_check_accepts_the_textbook_formula_and_refuses_wrong_ones(
    cli: Callable[..., Result],
    write_spec: Callable[..., Path],
    kind: str,
    red: str,
    out: str,
    batch: int,
) -> None:
    spec = str(_spec(write_spec, kind, red, out, batch))
    for name, formula in _textbook(kind, red, out, batch).items():
        right = cli("check", name, formula, "--spec", spec)
        assert (right.code, right.err) == (0, ""), (name, formula, right.out)
        for wrong in (f"-({formula})", f"3*({formula})", f"{formula} + 1"):
            res = cli("check", name, wrong, "--spec", spec)
            assert (res.code, res.err) == (1, ""), (name, wrong, res.out)
            assert "✗ wrong" in res.out and "Traceback" not in res.out


@pytest.mark.parametrize("kind", ["l1", "smooth_l1", "ce_indices", "ce_probs"])
def test_check_diagnosis_does_not_deny_the_names_the_loss_reads(
    cli: Callable[..., Result], write_spec: Callable[..., Path], kind: str
) -> None:
    """The loss's own ∂loss/∂o1 is not written out for these losses, so the checker cannot
    know it does not read o1 and t1: it must not say so (nor print ``∂loss/∂o1 = ∂loss/∂o1``)."""
    spec = str(_spec(write_spec, kind, "mean", "sigmoid", 1))
    for name in ("o1", "h1"):
        res = cli("check", name, "o1 - t1 + 7*h1", "--spec", spec)
        assert res.code == 1, res.out
        assert "does not depend on" not in res.out, res.out
        assert "∂loss/∂o1 = ∂loss/∂o1" not in res.out, res.out


# -- export, load, explain, worksheet --------------------------------------------------------

MODEL_PY = """\
import torch
from torch import nn


def make():
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 2), nn.Sigmoid())
    model = model.to(torch.{dtype})
    model[0].weight.requires_grad_(False)
    x = torch.tensor([[0.1, -0.4], [0.7, 0.2], [-1.0, 0.5]], dtype=torch.{dtype})
    t = torch.tensor([[0.2, 0.9], [0.6, 0.1], [0.0, 1.0]], dtype=torch.{dtype})
    return model, x, t, nn.{loss}
"""


def _sources(tmp_path: Path, write_spec: Callable[..., Path]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for kind, red in itertools.product(KINDS, ["mean", "sum"]):
        out.append(("--spec", str(_spec(write_spec, kind, red, "sigmoid", 3))))
    for dtype, loss in (
        ("float64", "BCELoss(reduction='sum')"),
        ("float32", "SmoothL1Loss(beta=0.5)"),
    ):
        path = tmp_path / f"m_{dtype}.py"
        path.write_text(MODEL_PY.format(dtype=dtype, loss=loss), encoding="utf-8")
        out.append(("--model", f"{path}:make", "--lr", "0.5"))
    return out


def test_export_load_explain_worksheet_run_clean(
    cli: Callable[..., Result], write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    import bptrace

    for source in _sources(tmp_path, write_spec):
        original = None
        for detail in ((), ("--detail", "scalars")):
            path = tmp_path / "out.json"
            res = cli("export", *source, *detail, "-o", str(path))
            assert (res.code, res.err) == (0, ""), (source, res.err)
            loaded = bptrace.load_trace(path)
            assert json.loads(path.read_text(encoding="utf-8"))["format"] == "bptrace.trace"
            steps = [(s.node, s.phase, s.value, s.agrees) for s in loaded.steps]
            assert not [s for s in steps if s[3] is False], source
            original = original or steps
            assert steps == original, source
        for argv in (
            ("explain", "o1"),
            ("explain", "w1"),
            ("explain", "h2"),
            ("explain", "w5", "--matrix"),
            ("worksheet",),
            ("worksheet", "--format", "tex"),
            ("worksheet", "--blanks"),
        ):
            res = cli(*argv, *source)
            assert (res.code, res.err) == (0, ""), (argv, source, res.err)
            assert res.out and "Traceback" not in res.out, (argv, source)


def test_bad_input_of_the_sweep_exits_2_with_one_line(
    cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    from bptrace_test_helpers import assert_one_error_line

    spec = str(_spec(write_spec, "ce_indices", "mean", "identity", 1))
    assert_one_error_line(cli("check", "t1", "1", "--spec", spec), "t1")
    assert_one_error_line(cli("check", "w99", "1", "--spec", spec), "w99")
    assert_one_error_line(cli("check", "w5", "o1.real", "--spec", spec))
    assert_one_error_line(cli("explain", "zz", "--spec", spec), "zz")
    bad = write_spec(
        SPEC.format(
            out="sigmoid", loss="bce", red="mean", beta=1, inputs="[1, 2]", targets="[2, 0]"
        )
    )
    assert_one_error_line(cli("export", "--spec", str(bad)))


@pytest.mark.parametrize(
    ("kind", "red", "batch", "formula", "want", "refused"),
    [
        # BCE doubled: no "(o − t)²" (that is MSE's), no "mean over N = 1" (it is a sum)
        ("bce", "sum", 1, "2*(o1 - t1)/(o1*(1 - o1))", "factor 2", ("(o − t)²", "mean")),
        # MSE halved with reduction sum: the loss is a sum, not "a mean over N = 1"
        ("mse", "sum", 1, "(o1 - t1)", "is a sum", ("mean over",)),
        ("mse", "sum", 3, "(o1 - t1)", "is a sum", ("mean over",)),
        # cross-entropy averages over the samples only: N = 3 (3 samples), not "2 outputs × 3"
        (
            "ce_indices",
            "mean",
            3,
            "exp(o1)/(exp(o1) + exp(o2)) - 1",
            "N = 3 (3 samples)",
            ("(o − t)²", "outputs"),
        ),
    ],
)
def test_check_constant_factor_words_fit_the_loss(
    cli: Callable[..., Result],
    write_spec: Callable[..., Path],
    kind: str,
    red: str,
    batch: int,
    formula: str,
    want: str,
    refused: tuple[str, ...],
) -> None:
    spec = str(_spec(write_spec, kind, red, "sigmoid", batch))
    res = cli("check", "o1", formula, "--spec", spec)
    assert (res.code, res.err) == (1, ""), res.out
    diagnosis = res.out.splitlines()[3]
    assert want in diagnosis, diagnosis
    for words in refused:
        assert words not in diagnosis, diagnosis


def test_unknown_name_lists_only_the_biases_that_exist(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """Layer 1 has no bias: b1..b3 do not exist, so the list of names must not offer them."""
    from bptrace_test_helpers import assert_one_error_line

    path = tmp_path / "m.py"
    path.write_text(MODEL_PY.format(dtype="float64", loss="MSELoss()"), encoding="utf-8")
    for argv in (("explain", "b1"), ("check", "b1", "1")):
        res = cli(*argv, "--model", f"{path}:make")
        assert_one_error_line(res, "'b1'", "b4..b5")
        assert "b1..b5" not in res.err, res.err
