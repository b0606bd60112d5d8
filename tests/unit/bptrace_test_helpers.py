"""Helpers shared by the unit tests (imported by name; tests/unit is on sys.path)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    """What one run of the CLI returned and printed."""

    code: int
    out: str
    err: str


def run_subprocess(*argv: str, cwd: Path | None = None) -> Result:
    """Run ``python -m bptrace ARGV`` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-m", "bptrace", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_one_error_line(result: Result, *needles: str) -> None:
    """Exit 2, exactly one stderr line ``bptrace: error: ...`` naming every needle, no traceback."""
    assert result.code == 2, (result.code, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("bptrace: error: "), result.err
    assert "Traceback" not in result.err + result.out
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
