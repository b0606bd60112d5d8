"""Seeded spec fuzzing: every mutated spec either exports a valid trace with an empty stderr
(exit 0) or is refused with exactly one ``bptrace: error:`` line of at most 300 characters,
no file written (exit 2). The CLI's ``main`` runs in-process for speed; a few real runs too."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result, run_subprocess
from fuzz.mutate_spec import mutate

from bptrace.model.jsonio import load_trace

CASES = 150
SEEDS = range(14_000, 14_000 + CASES)


def check_result(result: Result, out: Path) -> str:
    """Assert the contract; return "ok" or "refused"."""
    assert "Traceback" not in result.err
    if result.code == 0:
        assert result.err == ""
        load_trace(out)  # a valid export, read back and validated
        return "ok"
    assert result.code == 2, (result.code, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bptrace: error: "), result.err
    assert len(lines[0]) <= 300, lines[0]
    assert lines[0].isprintable()
    assert not out.exists()
    return "refused"


def test_mutated_specs_export_or_are_refused_in_one_line(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    seen = {"ok": 0, "refused": 0}
    for seed in SEEDS:
        spec = tmp_path / "net.toml"
        spec.write_text(mutate(random.Random(seed)), encoding="utf-8")
        out = tmp_path / "out.json"
        out.unlink(missing_ok=True)
        result = cli("export", "--spec", str(spec), "-o", str(out))
        try:
            seen[check_result(result, out)] += 1
        except AssertionError as exc:
            raise AssertionError(f"seed {seed}: {spec.read_text()[:500]!r}") from exc
    assert seen["ok"] >= 30 and seen["refused"] >= 70, seen  # the mutator reaches both sides


@pytest.mark.parametrize("seed", [14_004, 14_011])
def test_mutated_specs_in_a_real_process(seed: int, tmp_path: Path) -> None:
    spec = tmp_path / "net.toml"
    spec.write_text(mutate(random.Random(seed)), encoding="utf-8")
    out = tmp_path / "out.json"
    check_result(run_subprocess("export", "--spec", str(spec), "-o", str(out)), out)
