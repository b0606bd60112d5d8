"""The built-in examples from the command line: listed, traced, or refused with a reason."""

from __future__ import annotations

import json

import pytest

from bptrace.cli import main
from bptrace.model.catalog import EXAMPLES, LESSON_EXAMPLES


def test_list_examples_names_every_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list-examples"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(EXAMPLES)
    assert {"classic", "seed-functional", "seed-sequential", "chain-graph"} <= set(listed)


@pytest.mark.parametrize("name", [n for n in EXAMPLES if n not in LESSON_EXAMPLES])
def test_every_network_example_exports(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--example", name]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format"] == "bptrace.trace"


def test_a_lesson_example_is_refused_by_export(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--example", "chain-graph"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("bptrace: error: chain-graph is a lesson")
