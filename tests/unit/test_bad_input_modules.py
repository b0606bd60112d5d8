"""Every bad input of "your own model": exit status 2, one line, no traceback, nothing
half-written, the model untouched. (The README's "Bad input" table lists these messages.)"""

from __future__ import annotations

import copy
import json
import os
import textwrap
from pathlib import Path

import pytest
import torch
from bptrace_test_helpers import run_subprocess
from torch import nn

from bptrace.model.errors import BptraceError
from bptrace.tracer.api import trace_any

FACTORIES = """
import torch
from torch import nn

def good():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)), torch.randn(2, 1, 4, 4), torch.randn(2, 2), nn.MSELoss()

def raises():
    raise ValueError("no data here")

def three():
    return 1, 2, 3

def not_tuple():
    return nn.Linear(2, 2)

def not_module():
    return "model", torch.ones(1), torch.ones(1), nn.MSELoss()

def shapes():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), torch.randn(2, 1, 4, 4), torch.randn(2, 3), nn.MSELoss()

def not_scalar():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten()), torch.randn(2, 1, 4, 4), torch.randn(2, 8), nn.MSELoss(reduction="none")

def no_params():
    return nn.Sequential(nn.ReLU(), nn.Flatten()), torch.randn(2, 3), torch.randn(2, 3), nn.MSELoss()

def frozen():
    m = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Flatten())
    m.requires_grad_(False)
    return m, torch.randn(2, 1, 4, 4), torch.randn(2, 4), nn.MSELoss()

def bad_forward():
    return nn.Sequential(nn.Conv2d(3, 2, 3)), torch.randn(2, 1, 4, 4), torch.randn(2, 2), nn.MSELoss()

not_callable = 3
"""


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "f.py").write_text(textwrap.dedent(FACTORIES), encoding="utf-8")
    (tmp_path / "syntax.py").write_text("def make(:\n", encoding="utf-8")
    (tmp_path / "boom.py").write_text("import no_such_module_xyz\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    good = {"0.weight": torch.zeros(2, 1, 3, 3), "0.bias": torch.zeros(2)}
    torch.save(
        {**good, "2.weight": torch.zeros(2, 8), "2.bias": torch.zeros(2)}, tmp_path / "ok.pt"
    )
    torch.save(good, tmp_path / "missing.pt")
    torch.save(
        {**good, "2.weight": torch.zeros(3, 8), "2.bias": torch.zeros(2)}, tmp_path / "shape.pt"
    )
    torch.save([1, 2], tmp_path / "list.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file at all")
    return tmp_path


def cases(d: Path) -> list[tuple[list[str], str]]:
    f = d / "f.py"
    return [
        (["--model", str(d / "nope.py:make")], f"{d / 'nope.py'}: no such file"),
        (["--model", str(d) + ":make"], "is a directory"),
        (["--model", str(d / "notes.txt:make")], "not a Python file"),
        (["--model", str(f)], "expected FILE.py:FUNCTION (e.g. models.py:make)"),
        (["--model", f"{f}:missing"], f"{f}: no function 'missing' (functions there: "),
        (["--model", f"{f}:not_callable"], "'not_callable' is a int, not a function"),
        (["--model", f"{d / 'syntax.py'}:make"], "line 1: SyntaxError: "),
        (
            ["--model", f"{d / 'boom.py'}:make"],
            "running the file raised ModuleNotFoundError: No module named 'no_such_module_xyz'",
        ),
        (["--model", f"{f}:raises"], "raises() raised ValueError: no data here"),
        (
            ["--model", f"{f}:three"],
            "must return (model, inputs, targets, loss_fn), got a tuple of 3",
        ),
        (
            ["--model", f"{f}:not_tuple"],
            "must return (model, inputs, targets, loss_fn), got Linear",
        ),
        (["--model", f"{f}:not_module"], "model must be a torch.nn.Module, got str"),
        (
            ["--model", f"{f}:shapes"],
            "targets have shape (2, 3) but the model's output has shape (2, 8); MSELoss needs them equal",
        ),
        (["--model", f"{f}:not_scalar"], "the loss (MSELoss) is not a scalar (shape (2, 8))"),
        (["--model", f"{f}:no_params"], "has no parameters to trace"),
        (["--model", f"{f}:frozen"], "no parameter of the model (Sequential) requires grad"),
        (["--model", f"{f}:bad_forward"], "the model's forward pass failed: RuntimeError: "),
        (["--model", f"{f}:good", "--state", str(d / "none.pt")], "none.pt: no such file"),
        (
            ["--model", f"{f}:good", "--state", str(d / "missing.pt")],
            "state dict does not fit the model: missing 2.weight, 2.bias",
        ),
        (
            ["--model", f"{f}:good", "--state", str(d / "shape.pt")],
            "2.weight has shape (3, 8), the model's has (2, 8)",
        ),
        (
            ["--model", f"{f}:good", "--state", str(d / "list.pt")],
            "not a state dict (expected a mapping of names to tensors",
        ),
        (["--model", f"{f}:good", "--state", str(d / "junk.pt")], "not a torch state dict file"),
        (["--state", str(d / "ok.pt")], "--state needs --model FILE.py:FUNCTION"),
        (
            ["--model", f"{f}:good", "--lr", "-1"],
            "argument --lr: must be a positive number, got -1",
        ),
        (
            ["--model", f"{f}:good", "--epochs", "2"],
            "--epochs: training is available for MLPs only",
        ),
        (
            ["--example", "small-cnn", "--epochs", "2"],
            "--epochs: training is available for MLPs only",
        ),
        (["--model", f"{f}:good", "--spec", "x.toml"], "not allowed with argument"),
    ]


def test_every_bad_input_is_one_line_and_nothing_is_written(cli, files: Path) -> None:  # type: ignore[no-untyped-def]
    out = files / "out.json"
    for argv, message in cases(files):
        full = ["export", *argv, "-o", str(out)]
        r = cli(*full)
        assert r.code == 2, (argv, r)
        assert r.err.startswith("bptrace: error: ") and r.err.count("\n") == 1, (argv, r.err)
        assert message in r.err, (argv, r.err)
        assert "Traceback" not in r.err and r.out == ""
        assert not out.exists()
        assert not [p for p in os.listdir(files) if p.endswith(".tmp")]


def test_state_with_good_file_works(cli, files: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("export", "--model", f"{files / 'f.py'}:good", "--state", str(files / "ok.pt"))
    assert r.code == 0 and json.loads(r.out)["params"][0]["value"]["stats"]["norm"] == 0


def test_explain_and_app_refuse_bad_models_the_same_way(cli, files: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("explain", "x", "--model", f"{files / 'f.py'}:raises")
    assert r.code == 2 and "raises() raised ValueError: no data here" in r.err
    r = cli("--model", f"{files / 'f.py'}:three")  # the app: refused before any screen opens
    assert r.code == 2 and "got a tuple of 3" in r.err and r.err.count("\n") == 1


def test_in_a_fresh_process_no_traceback(files: Path) -> None:
    r = run_subprocess("export", "--model", f"{files / 'f.py'}:raises")
    assert (
        r.code == 2
        and r.err
        == f"bptrace: error: {files / 'f.py'}:raises: raises() raised ValueError: no data here\n"
    )


@pytest.mark.parametrize(
    ("targets", "loss", "message"),
    [
        (torch.zeros(4), nn.MSELoss(), "targets have shape (4,)"),
        (torch.zeros(4, 2), nn.MSELoss(reduction="none"), "is not a scalar"),
        (torch.zeros(4, 2), lambda o, t: "x", "returned str, not a tensor"),
        (
            torch.tensor([5, 0, 0, 0]),
            nn.CrossEntropyLoss(),
            "the loss (CrossEntropyLoss) failed: IndexError",
        ),
    ],
)
def test_api_errors_leave_model_untouched(targets: torch.Tensor, loss, message: str) -> None:  # type: ignore[no-untyped-def]
    model = nn.Sequential(
        nn.Conv1d(1, 2, 3), nn.BatchNorm1d(2), nn.AdaptiveMaxPool1d(1), nn.Flatten()
    )
    x = torch.randn(4, 1, 6)
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(BptraceError) as info:
        trace_any(model, x, targets, loss)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert all(p.grad is None for p in model.parameters())
    assert not any(m._forward_hooks for m in model.modules())


def test_module_trace_json_bad_files(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good = cli("export", "--example", "small-cnn").out
    doc = json.loads(good)
    cases_ = {
        "truncated.json": (good[: len(good) // 2], "not valid JSON"),
        "format.json": (
            json.dumps({**doc, "format": "other"}),
            "not a bptrace trace (format is 'other')",
        ),
        "types.json": (json.dumps({**doc, "loss": [1]}), "invalid trace at loss"),
    }
    for name, (text, message) in cases_.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        r = cli("view", str(path))
        assert r.code == 2 and message in r.err and r.err.count("\n") == 1, (name, r.err)
