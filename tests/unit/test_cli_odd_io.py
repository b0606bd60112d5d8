"""Odd input and output of the CLI: empty source names, prints in a model file, a stdout that
is full, closed or cannot encode the text, a formula starting with '-', a busy serve web port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

Cli = Callable[..., Result]

RIGHT_W5 = "(o1-t1)*o1*(1-o1)*h1"
MINUS_RIGHT_W5 = "-(t1-o1)*o1*(1-o1)*h1"

PRINTY = """\
import torch
from torch import nn

print("hello from model file")


class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(2, 2).double()

    def forward(self, x):
        print("in forward")
        return self.l(x)


def f():
    print("hello from f")
    x = torch.tensor([[0.05, 0.1]], dtype=torch.float64)
    return M(), x, x, nn.MSELoss()
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANGUAGE"))}
    env["LANG"] = "C.UTF-8"
    env.pop("PYTHONIOENCODING", None)
    env.update(extra)
    return env


def _run(*argv: str, stdout: int, **env: str) -> Result:
    """``python -m bptrace ARGV`` with its stdout on the given descriptor."""
    proc = subprocess.run(
        [sys.executable, "-m", "bptrace", *argv],
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=_env(**env),
        timeout=120,
    )
    return Result(proc.returncode, "", proc.stderr.decode("utf-8", "replace"))


def _run_to_closed_pipe(*argv: str) -> Result:
    read, write = os.pipe()
    os.close(read)  # whoever reads (head, true) has gone before anything is written
    try:
        return _run(*argv, stdout=write)
    finally:
        os.close(write)


# 1. an empty source name is bad input, not the classic network


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["export", "--spec", ""], "--spec"),
        (["export", "--example", ""], "--example"),
        (["export", "--model", ""], "--model"),
        (["--spec", "", "export"], "--spec"),
        (["--example", "", "export"], "--example"),
        (["--model", "", "export"], "--model"),
        (["explain", "w5", "--spec", ""], "--spec"),
        (["check", "w5", RIGHT_W5, "--example", ""], "--example"),
    ],
)
def test_an_empty_source_name_is_one_error_line(cli: Cli, argv: list[str], needle: str) -> None:
    result = cli(*argv)
    assert_one_error_line(result, needle, "empty")
    assert result.out == ""


# 2. what a model file prints goes to stderr, not into the JSON


def test_prints_of_a_model_file_do_not_corrupt_the_exported_json(cli: Cli, tmp_path: Path) -> None:
    model = tmp_path / "printy.py"
    model.write_text(PRINTY, encoding="utf-8")
    result = cli("export", "--model", f"{model}:f")
    assert result.code == 0, result.err
    assert json.loads(result.out)["format"] == "bptrace.trace"
    for said in ("hello from model file", "hello from f", "in forward"):
        assert said in result.err
        assert said not in result.out


OS_WRITES = """\
import ctypes
import os

import torch
from torch import nn

os.write(1, b"os.write at import\\n")


def f():
    os.write(1, b"os.write in the factory\\n")
    ctypes.CDLL(None).printf(b"printf in the factory\\n")
    model = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()).double()
    x = torch.tensor([[0.05, 0.1]], dtype=torch.float64)
    return model, x, torch.tensor([[0.01, 0.99]], dtype=torch.float64), nn.MSELoss()
"""


def test_writes_to_the_stdout_descriptor_do_not_corrupt_the_json(tmp_path: Path) -> None:
    """A model file's ``os.write(1, ...)`` and C ``printf`` reached stdout, past the
    Python-level redirect: the exported JSON did not parse."""
    model = tmp_path / "writes.py"
    model.write_text(OS_WRITES, encoding="utf-8")
    out = tmp_path / "stdout.json"
    with out.open("wb") as sink:
        result = _run("export", "--model", f"{model}:f", stdout=sink.fileno())
    assert result.code == 0, result.err
    assert json.loads(out.read_text())["format"] == "bptrace.trace"
    for said in ("os.write at import", "os.write in the factory", "printf in the factory"):
        assert said in result.err


# 3. a stdout that cannot take the text: one line naming the reason


STDOUT_COMMANDS = [
    ["explain", "w5"],
    ["explain", "w5", "--matrix"],
    ["check", "w5", RIGHT_W5],
    ["--list-examples"],
    ["export"],
    ["worksheet"],
]


@pytest.mark.parametrize("argv", STDOUT_COMMANDS)
def test_a_full_stdout_is_one_error_line(argv: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        result = _run(*argv, stdout=full.fileno())
    assert_one_error_line(result, "stdout:", "No space left on device")


@pytest.mark.parametrize("argv", STDOUT_COMMANDS)
def test_an_encoding_that_cannot_show_the_text_says_so(argv: list[str], tmp_path: Path) -> None:
    with open(tmp_path / "out.txt", "wb") as out:
        result = _run(*argv, stdout=out.fileno(), PYTHONIOENCODING="ascii")
    assert_one_error_line(result, "stdout:", "encoding", "ascii", "UTF-8")
    assert "closed" not in result.err


# 4. a closed pipe: quiet, with the status the command would have had


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["check", "w5", "(o1-t1)"], 1),  # a wrong answer stays wrong in a pipeline
        (["check", "w5", RIGHT_W5], 0),
        (["explain", "w5"], 0),
        (["export"], 0),
        (["--list-examples"], 0),
    ],
)
def test_a_closed_pipe_is_quiet_and_keeps_the_exit_status(argv: list[str], code: int) -> None:
    result = _run_to_closed_pipe(*argv)
    assert (result.code, result.err) == (code, "")


# 5. a formula that starts with '-' (the textbooks' sign) is a formula, not an option


def test_a_formula_starting_with_minus_is_judged(cli: Cli) -> None:
    right = cli("check", "w5", MINUS_RIGHT_W5)
    assert right.code == 0, right.err
    assert "right" in right.out
    wrong = cli("check", "w5", "-(o1-t1)*o1*(1-o1)*h1", "--example", "classic")
    assert wrong.code == 1, wrong.err


def test_a_formula_starting_with_minus_h_is_judged_not_taken_for_help(cli: Cli) -> None:
    """``check h1 '-h1*w5'`` printed check's help and exited 0 (the code for "right"):
    argparse read ``-h1*w5`` as ``-h``. It is judged (wrong: exit 1), in either place of the
    source option; ``-h`` alone still asks for help."""
    wrong = cli("check", "h1", "-h1*w5")
    assert wrong.code == 1 and "✗ wrong: ∂loss/∂h1" in wrong.out, (wrong.out, wrong.err)
    assert "your formula uses h1" in wrong.out
    wrong = cli("check", "--example", "classic", "h1", "-h1*w5")
    assert wrong.code == 1 and "usage:" not in wrong.out
    assert_one_error_line(cli("check", "w5", RIGHT_W5, "-h1"), "unrecognized arguments: -h1")
    helped = cli("check", "h1", "-h")
    assert helped.code == 0 and helped.out.startswith("usage: bptrace check")


def test_only_a_formula_after_the_name_is_taken(cli: Cli) -> None:
    assert_one_error_line(cli("check", MINUS_RIGHT_W5, "w5"), "unrecognized arguments")
    assert_one_error_line(cli("check", "w5", RIGHT_W5, "-x"), "unrecognized arguments: -x")
    assert_one_error_line(cli("export", "--bogus"), "unrecognized arguments: --bogus")


# 6. serve web on an address it cannot listen on: one line, like serve ssh


def test_serve_web_on_a_busy_port_is_one_error_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        result = _run("serve", "web", "--port", port, stdout=subprocess.DEVNULL)
    assert_one_error_line(result, "cannot listen on", f"127.0.0.1:{port}")


def test_serve_web_on_an_unresolvable_host_is_one_error_line() -> None:
    result = _run("serve", "web", "--host", "999.1.1.1", stdout=subprocess.DEVNULL)
    assert_one_error_line(result, "cannot listen on", "999.1.1.1")


# 7. -o through a symbolic link writes the file it points to; the link stays


def test_output_through_a_symlink_writes_its_target(cli: Cli, tmp_path: Path) -> None:
    """``-o link.json`` replaced the link with a regular file, leaving its target stale."""
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to("new.json")
    for target in (link, dangling):
        result = cli("export", "-o", str(target))
        assert result.code == 0, result.err
        assert target.is_symlink()
    assert json.loads(real.read_text())["format"] == "bptrace.trace"
    assert json.loads((tmp_path / "new.json").read_text())["format"] == "bptrace.trace"
    loop = tmp_path / "loop"
    loop.symlink_to("loop")
    assert_one_error_line(cli("export", "-o", str(loop)), "cannot write")
