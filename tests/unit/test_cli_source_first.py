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
