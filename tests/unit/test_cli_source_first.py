"""A source given before the subcommand applies to it: ``bptrace --spec F export`` exports F."""

from __future__ import annotations

import json
from pathlib import Path

from bptrace_test_helpers import assert_one_error_line

from bptrace.model.spec import CLASSIC_TEXT

SMALL = """
name = "before the command"
layers = [3, 2]
activation = "tanh"
output_activation = "identity"
loss = "mse"
inputs = [0.5, -1.0, 2.0]
targets = [0.25, -0.75]
seed = 4
"""


def test_spec_before_export_applies(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SMALL)
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    assert cli("--spec", str(spec), "export", "-o", str(before)).code == 0
    assert cli("export", "--spec", str(spec), "-o", str(after)).code == 0
    doc = json.loads(before.read_text(encoding="utf-8"))
    assert doc["network"]["name"] == "before the command"
    assert doc["network"]["sizes"] == [3, 2]
    assert before.read_bytes() == after.read_bytes()


def test_example_before_explain_applies(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("--example", "dead-relu", "explain", "w1")
    assert result.code == 0, result.err
    assert "dead-relu" in result.out.splitlines()[0]


def test_spec_on_both_sides_is_refused(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SMALL)
    out = tmp_path / "out.json"
    result = cli("--spec", str(spec), "export", "--spec", str(spec), "-o", str(out))
    assert_one_error_line(result, "--spec", "export")
    assert not out.exists()


def test_two_sources_across_the_command_are_refused(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(CLASSIC_TEXT)
    out = tmp_path / "out.json"
    result = cli("--spec", str(spec), "export", "--example", "classic", "-o", str(out))
    assert_one_error_line(result, "--spec", "--example")
    assert not out.exists()


def test_source_before_view_is_refused(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = write_spec(SMALL)
    result = cli("--spec", str(spec), "view", str(tmp_path / "t.json"))
    assert_one_error_line(result, "--spec", "view")


def test_source_without_a_command_still_goes_to_the_app(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "m.py"
    bad.write_text("def three():\n    return 1, 2, 3\n", encoding="utf-8")
    result = cli("--model", f"{bad}:three")  # refused before any screen opens, as before
    assert_one_error_line(result, "tuple of 3")


def test_default_detail_switch_is_noted_once(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    inputs = [[(i * 7 + j) % 11 / 10 for j in range(64)] for i in range(8)]
    spec = write_spec(
        'layers = [64, 64, 64, 10]\nactivation = "relu"\noutput_activation = "softmax"\n'
        f'loss = "cross_entropy"\ninputs = {inputs}\ntargets = [0, 1, 2, 3, 4, 5, 6, 7]\n'
    )
    out = tmp_path / "big.json"
    result = cli("export", "--spec", str(spec), "-o", str(out))
    assert result.code == 0, result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bptrace: note: ") and "tensors" in lines[0]
    assert json.loads(out.read_text(encoding="utf-8"))["detail"] == "tensors"
    small = cli("export", "-o", str(tmp_path / "small.json"))
    assert small.code == 0 and small.err == ""
    asked = cli("export", "--spec", str(spec), "--detail", "tensors", "-o", str(out))
    assert asked.code == 0 and asked.err == ""
