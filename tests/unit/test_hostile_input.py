"""Hostile and odd input, case by case (issue 14): specs over the size limits or nested deep,
overflowing numbers, user text with newlines and terminal escapes, broken trace files, odd
output targets, the agreement check's tolerance, models with hooks or inference tensors."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bptrace_test_helpers import Result, assert_one_error_line, run_subprocess

import bptrace
from bptrace.model.jsonio import load_trace, trace_from_dict

SMALL = "inputs = [1.0]\ntargets = [1.0]\n"


# -- specs -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layers, count",
    [
        ("[1, 100000, 100000, 1]", "10,000,400,001"),
        ("[1, 4611686018427387904, 1]", "13,835,058,055,282,163,713"),
        ("[1, 3000, 3000, 1]", "9,012,001"),
    ],
)
def test_a_spec_over_the_size_limit_is_refused_before_anything_is_built(
    layers: str, count: str, cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    spec = write_spec(f"layers = {layers}\n{SMALL}")
    result = cli("export", "--spec", str(spec))
    assert_one_error_line(result, "layers", f"has {count} weights and biases", "250,000")


def test_too_many_samples_times_neurons_is_refused(
    cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    rows = ", ".join(["[1.0]"] * 2000)
    spec = write_spec(f"layers = [1, 200, 1]\ninputs = [{rows}]\ntargets = [{rows}]\n")
    assert_one_error_line(cli("export", "--spec", str(spec)), "inputs", "over the limit of 250,000")


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a=", "}")])
def test_nesting_1500_deep_is_one_line(
    opening: str, closing: str, cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    deep = opening * 1500 + ("1" if opening == "[" else "1") + closing * 1500
    spec = write_spec(f"layers = [2, 2]\n{SMALL}weights = {deep}\n")
    assert_one_error_line(cli("export", "--spec", str(spec)), "nested too deeply")


@pytest.mark.parametrize(
    "key, shown",
    [
        ('"a\\nb"', "'a\\nb'"),
        ('"x\\u001b[2J"', "'x\\x1b[2J'"),
        ('"' + "k" * 1_000_000 + '"', "(+999,920 characters)"),
    ],
)
def test_a_user_key_is_shown_escaped_and_cut(
    key: str, shown: str, cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    spec = write_spec(f"layers = [1, 1]\n{SMALL}{key} = 1\n")
    result = cli("export", "--spec", str(spec))
    assert_one_error_line(result, shown, "unknown key")
    assert "\x1b" not in result.err and len(result.err.strip()) <= 300


def test_a_path_with_a_newline_is_shown_escaped(cli: Callable[..., Result], tmp_path: Path) -> None:
    result = cli("export", "--spec", str(tmp_path / "bad\nname.toml"))
    assert_one_error_line(result, "name.toml'", "no such file")


def test_overflow_is_traced_and_flagged_with_nothing_on_stderr(tmp_path: Path) -> None:
    spec = tmp_path / "big.toml"
    spec.write_text(
        "layers = [2, 2, 2]\ninputs = [[1e300, 0.10], [1.0, 2.0]]\n"
        "targets = [[0.01, 0.99], [1.0, 1.0]]\n"
        "weights = [[[1e300, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]\n"
        'activation = "identity"\noutput_activation = "identity"\n'
    )
    out = tmp_path / "big.json"
    result = run_subprocess("export", "--spec", str(spec), "-o", str(out))
    assert (result.code, result.err) == (0, "")
    assert load_trace(out)
    result = run_subprocess("explain", "w1", "--spec", str(spec))
    assert (result.code, result.err) == (0, "")
    assert "✗ layer 1:" in result.out and "inf" in result.out


# -- trace files --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """A real classic export with lr and 2 epochs (scalars detail), as a file holds it."""
    from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
    from bptrace.tracer.api import trace_spec

    tr = trace_spec(parse_spec_text(CLASSIC_TEXT, "classic"), epochs=2)
    return json.loads(json.dumps(tr.to_dict("scalars")))


def _set(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    new = json.loads(json.dumps(doc))
    *keys, last = [int(k) if k.isdigit() else k for k in path.split("/")]
    place = new
    for k in keys:
        place = place[k]
    if value is KeyError:
        del place[last]
    else:
        place[last] = value
    return new


BROKEN = [
    ("network/lr", "@1e400", "network/lr: must be finite"),
    ("tensors/layers/0/bias", None, "tensors/layers/0/bias: is null but network/bias/0 is true"),
    ("network/loss/target_kind", "indices", "does not go with the loss 'mse'"),
    ("tensors/layers/1/weight/updated", [[0.1, 0.2]], "weight/updated: expected 2 rows of 2"),
    ("tensors/target/value", [[0.01, 0.99, 0.5]], "tensors/target/value/0: expected 2 numbers"),
    ("tensors/input/value", [[0.05]], "tensors/input/value/0: expected 2 numbers, got a list of 1"),
    ("training/final/w1", KeyError, "training/final: missing 'w1'"),
    ("training/final/w1", "oops", "training/final/w1: expected a number, got 'oops'"),
    ("network/name", "a\x1b[2J", "network/name: holds control characters"),
    ("tensors/layers/0/weight/updated", KeyError, "has no 'updated' although network/lr is set"),
]


@pytest.mark.parametrize("path, value, message", BROKEN)
def test_a_trace_file_that_contradicts_itself_is_refused_naming_the_key(
    doc: dict[str, Any],
    path: str,
    value: Any,
    message: str,
    tmp_path: Path,
    cli: Callable[..., Result],
) -> None:
    bad = tmp_path / "bad.json"
    text = json.dumps(_set(doc, path, "@HUGE" if value == "@1e400" else value))
    bad.write_text(text.replace('"@HUGE"', "1e400"))
    assert_one_error_line(cli("view", str(bad)), message)


@pytest.mark.parametrize(
    "splice, message",
    [
        ("[" * 1000 + "1" + "]" * 1000, "nested too deeply"),
        ("1" + "0" * 309, "an integer of 310 digits"),
        ("9" * 5000, "an integer of 5,000 digits"),
        ("NaN", "NaN is not a JSON number"),
    ],
)
def test_a_trace_file_with_odd_json_is_one_line(
    doc: dict[str, Any], splice: str, message: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_set(doc, "tensors/loss", "@X")).replace('"@X"', splice))
    assert_one_error_line(cli("view", str(bad)), message)


def test_a_trace_with_too_many_values_is_refused_before_parsing(
    tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bptrace.model import trace_checks

    monkeypatch.setattr(trace_checks, "MAX_TRACE_VALUES", 1000)
    bad = tmp_path / "many.json"
    bad.write_text("[" + ",".join(["1"] * 2000) + "]")
    assert_one_error_line(cli("view", str(bad)), "about 2,000 values is over the limit of 1,000")


def test_every_fixed_case_round_trips(doc: dict[str, Any]) -> None:
    """The unbroken document itself loads (so the refusals above are about the breakage)."""
    tr = trace_from_dict(json.loads(json.dumps(doc)))
    assert tr["w5"].grad == 0.08216704056423077


# -- output files -------------------------------------------------------------------------------
def test_a_fifo_or_a_device_is_refused(tmp_path: Path, cli: Callable[..., Result]) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert_one_error_line(cli("export", "-o", str(fifo)), "not a regular file")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert_one_error_line(cli("export", "-o", "/dev/null"), "/dev/null: not a regular file")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_an_empty_output_name_is_refused(cli: Callable[..., Result]) -> None:
    result = cli("export", "-o", "")
    assert_one_error_line(result, "-o: empty file name")
    assert result.out == ""


def test_a_new_file_follows_the_umask_and_an_old_one_keeps_its_mode(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    old = os.umask(0o022)
    try:
        assert cli("export", "-o", str(tmp_path / "new.json")).code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644
    kept = tmp_path / "kept.json"
    kept.write_text("{}")
    kept.chmod(0o640)
    assert cli("export", "-o", str(kept)).code == 0
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert json.loads(kept.read_text())["format"] == "bptrace.trace"


def test_a_stale_temporary_of_ours_is_cleaned(tmp_path: Path, cli: Callable[..., Result]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(done.stdout)  # that process has exited
    stale = tmp_path / f".out.json.bptrace-{dead_pid}.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".out.json.someone-else.tmp"
    other.write_text("not ours")
    assert cli("export", "-o", str(tmp_path / "out.json")).code == 0
    assert not stale.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.json.someone-else.tmp", "out.json"]


def test_a_full_disk_or_a_closed_stdout_is_one_line() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "bptrace", "export"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert_one_error_line(
        Result(proc.returncode, "", proc.stderr), "stdout: cannot write", "use -o FILE"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; os.close(1); sys.argv = ['bptrace', 'export']; "
            "from bptrace.cli import main; raise SystemExit(main())",
        ],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("bptrace: error: stdout")


# -- the agreement check ------------------------------------------------------------------------
def test_bce_clamps_like_torch_in_float64() -> None:
    from bptrace.model.formulas import BCE_EPS

    assert BCE_EPS == 9.999999960041972e-13


@pytest.mark.parametrize(
    "text",
    [
        'layers = [1, 1]\noutput_activation = "softmax"\nloss = "bce"\ninputs = [0.5]\ntargets = [0.3]\n',
        'layers = [1, 1]\nloss = "bce"\ninputs = [100.0]\nweights = [[[1.0]]]\nbiases = [[0.0]]\ntargets = [0.3]\n',
    ],
)
def test_saturated_bce_agrees(text: str) -> None:
    from bptrace.model.spec import parse_spec_text
    from bptrace.tracer.api import trace_spec

    tr = trace_spec(parse_spec_text(text, "sat"))
    steps = [s for s in tr.steps if s.phase == "backward"]
    assert steps and all(s.agrees for s in steps)
    if "softmax" not in text:
        assert tr["o1"].grad == 700000002797.0619  # 0.7 / float32(1e-12), as torch computes it


def test_a_step_off_by_4e_9_relative_disagrees_in_float64(doc: dict[str, Any]) -> None:
    good = trace_from_dict(json.loads(json.dumps(doc)))
    index = good.steps.index_of("l3", "backward")
    assert index is not None and good.steps[index].agrees
    grad = doc["tensors"]["layers"][1]["pre"]["grad"][0][0]
    bad = trace_from_dict(_set(doc, "tensors/layers/1/pre/grad/0/0", grad * (1 + 4e-9)))
    step = bad.steps[index]
    assert not step.agrees
    assert isinstance(step.tolerance, float) and step.tolerance < 4e-9 * abs(grad)


def test_the_screen_states_each_value_s_own_tolerance(cli: Callable[..., Result]) -> None:
    result = cli("explain", "w5")
    assert (
        "✓ autograd 0.08216704056423077 agrees (within ±8.4e-11: 1e-09 × the sizes summed"
        in result.out
    )


# -- models -------------------------------------------------------------------------------------
HOOKED = """
import torch
CALLS = []
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(2, 2)
        self.b = torch.nn.Linear(2, 2)
    def forward(self, x):
        CALLS.append("forward")
        return torch.sigmoid(self.b(torch.sigmoid(self.a(x))))
def make():
    torch.manual_seed(0)
    m = Net()
    m.a.register_full_backward_hook(lambda m, gi, go: None)
    m.register_forward_pre_hook(lambda m, args: CALLS.append("pre-hook"))
    return m, torch.tensor([[0.05, 0.1]]), torch.tensor([[0.01, 0.99]]), torch.nn.MSELoss()
def make_pre():
    torch.manual_seed(0)
    m = Net()
    m.b.register_full_backward_pre_hook(lambda m, go: None)
    return m, torch.tensor([[0.05, 0.1]]), torch.tensor([[0.01, 0.99]]), torch.nn.MSELoss()
def inference_model():
    with torch.inference_mode():
        m = Net()
    return m, torch.tensor([[0.05, 0.1]]), torch.tensor([[0.01, 0.99]]), torch.nn.MSELoss()
"""


@pytest.fixture
def hooked(tmp_path: Path) -> Path:
    path = tmp_path / "hooked.py"
    path.write_text(HOOKED)
    return path


def test_a_model_with_a_backward_hook_says_why_and_runs_forward_once(hooked: Path) -> None:
    from bptrace.tracer.usermodel import load_model

    model, inputs, targets, loss_fn = load_model(f"{hooked}:make", None)
    calls = sys.modules[model.__class__.__module__].CALLS  # type: ignore[attr-defined]
    tr = bptrace.trace_any(model, inputs, targets, loss_fn)
    assert calls == ["pre-hook", "forward"]
    assert tr.warnings == [
        "no per-neuron view: module 'a' has a backward hook (register_full_backward_hook): torch "
        "wraps its inputs and outputs for it, so values cannot be followed neuron by neuron"
    ]
    model, inputs, targets, loss_fn = load_model(f"{hooked}:make_pre", None)
    tr = bptrace.trace_any(model, inputs, targets, loss_fn)
    assert "module 'b' has a backward pre-hook (register_full_backward_pre_hook)" in tr.warnings[0]


def test_inference_mode_says_what_to_do(hooked: Path, cli: Callable[..., Result]) -> None:
    import torch

    result = cli("export", "--model", f"{hooked}:inference_model")
    assert_one_error_line(result, "a.weight was created under torch.inference_mode()", "outside")
    model, inputs, targets, loss_fn = bptrace.classic()
    with torch.inference_mode(), pytest.raises(bptrace.BptraceError, match="call it outside"):
        bptrace.trace(model, inputs, targets, loss_fn)


BFLOAT16 = """
import torch
from torch import nn
def model():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()).to(torch.bfloat16)
    x = torch.tensor([[0.05, 0.1]], dtype=torch.bfloat16)
    return m, x, torch.tensor([[0.01, 0.99]], dtype=torch.bfloat16), nn.MSELoss()
"""


def test_a_bfloat16_model_is_refused_by_trace_and_shown_by_module(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """numpy has no bfloat16: trace() says so in one error (it raised a bare TypeError from
    inside the tracer), and the CLI falls back to the per-module view, with the reason."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()).to(torch.bfloat16)
    x = torch.ones(1, 2, dtype=torch.bfloat16)
    with pytest.raises(bptrace.BptraceError, match=r"parameters are bfloat16; .* float64 models"):
        bptrace.trace(model, x, x, nn.MSELoss())
    path = tmp_path / "bf16.py"
    path.write_text(BFLOAT16)
    result = cli("export", "--model", f"{path}:model")
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["kind"] == "modules"
    assert doc["model"]["dtype"] == "bfloat16"
    assert any("parameters are bfloat16" in w for w in doc["warnings"])
