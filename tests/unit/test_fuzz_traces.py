"""Seeded trace-file fuzzing: a mutated export is either refused by ``load_trace`` with one
short line (and by ``bptrace view`` with exit 2 and that line), or it loads, and then every
step, every ``explain``, the health check and the export work on it without an exception."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path
from typing import Any

import pytest
from bptrace_test_helpers import run_subprocess
from fuzz.exercise import exercise
from fuzz.mutate_json import mutate

import bptrace
from bptrace.model.errors import BptraceError
from bptrace.model.jsonio import load_trace
from bptrace.model.quote import one_line
from bptrace.model.spec import parse_spec_text

CASES = 200
SPECS = {
    "classic": None,
    "bce": 'layers = [2, 3, 1]\nactivation = "tanh"\nloss = "bce"\n'
    "inputs = [[0.5, -1.0], [1.0, 2.0]]\ntargets = [[1.0], [0.0]]\n",
    "ce": 'layers = [3, 2, 3]\nactivation = ["leaky_relu"]\nnegative_slope = 0.1\n'
    'output_activation = "identity"\nloss = "cross_entropy"\n'
    "inputs = [[0.5, -1.0, 2.0], [1.0, 2.0, 0.0]]\ntargets = [2, 0]\n",
    "smooth_l1": 'layers = [2, 2]\noutput_activation = "softmax"\nloss = "smooth_l1"\n'
    'beta = 0.5\nreduction = "sum"\ntrain_biases = false\ninputs = [0.5, -1.0]\n'
    "targets = [0.0, 1.0]\n",
}


@pytest.fixture(scope="module")
def bases() -> list[dict[str, Any]]:
    """Real exports: MLPs (scalars and tensors detail, with and without training) and a CNN."""
    from bptrace.model.spec import CLASSIC_TEXT
    from bptrace.tracer.api import trace_example_any, trace_spec

    docs = []
    for name, text in SPECS.items():
        spec = parse_spec_text(text or CLASSIC_TEXT, name)
        tr = trace_spec(spec, epochs=2 if name != "ce" else 0)
        docs.append(tr.to_dict("scalars"))
        docs.append(tr.to_dict("tensors"))
    docs.append(trace_example_any("small-cnn").to_dict())  # type: ignore[call-arg]
    return [json.loads(json.dumps(d)) for d in docs]  # as a file holds them


def load_case(path: Path) -> bptrace.Trace | Any | None:
    """The loaded trace, or None when refused (after checking the refusal's form)."""
    try:
        return load_trace(path)
    except BptraceError as exc:
        text = str(exc)
        assert "\n" not in text and text.isprintable(), text[:400]
        assert len("bptrace: error: " + one_line(text, 284)) <= 300
        assert len(text) <= 600, text[:600]  # messages are short before the CLI's last cut
        return None


def test_mutated_trace_files_load_and_work_or_are_refused(
    bases: list[dict[str, Any]], tmp_path: Path
) -> None:
    seen = {"loaded": 0, "refused": 0}
    path = tmp_path / "case.json"
    for seed in range(CASES):
        rng = random.Random(seed)
        path.write_text(mutate(rng.choice(bases), rng), encoding="utf-8")
        try:
            tr = load_case(path)
            if tr is None:
                seen["refused"] += 1
                continue
            seen["loaded"] += 1
            with warnings.catch_warnings():  # as the CLI runs: overflow is flagged, not warned
                warnings.simplefilter("ignore", RuntimeWarning)
                exercise(tr)
        except Exception as exc:
            raise AssertionError(f"seed {seed}") from exc
    assert seen["loaded"] >= 20 and seen["refused"] >= 120, seen


@pytest.mark.parametrize("seed", [3, 7])
def test_view_refuses_a_mutated_file_in_one_line(
    bases: list[dict[str, Any]], seed: int, tmp_path: Path
) -> None:
    path = tmp_path / "case.json"
    for s in range(seed, seed + 200):  # the first refused case from this seed on
        rng = random.Random(s)
        path.write_text(mutate(rng.choice(bases), rng), encoding="utf-8")
        if load_case(path) is None:
            break
    result = run_subprocess("view", str(path))
    assert result.code == 2, result.err
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bptrace: error: ") and len(lines[0]) <= 300
