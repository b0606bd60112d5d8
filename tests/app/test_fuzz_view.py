"""A handful of mutated trace files that load: the app opens each (as ``bptrace view`` does)
and steps Home, End and every phase with no exception."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
from conftest import ready

from bptrace.model.errors import BptraceError
from bptrace.model.jsonio import load_trace
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp

sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
from fuzz.mutate_json import mutate  # noqa: E402

BCE = (
    'layers = [2, 3, 1]\nactivation = "tanh"\nloss = "bce"\n'
    "inputs = [[0.5, -1.0], [1.0, 2.0]]\ntargets = [[1.0], [0.0]]\n"
)


def loadable_cases(tmp_path: Path, count: int) -> list[Path]:
    """The first ``count`` mutated files (from fixed seeds) that load."""
    from bptrace.tracer.api import trace_spec

    bases = [
        json.loads(json.dumps(trace_spec(parse_spec_text(text, "t"), epochs=1).to_dict(detail)))
        for text in (CLASSIC_TEXT, BCE)
        for detail in ("scalars", "tensors")
    ]
    found: list[Path] = []
    for seed in range(500):
        rng = random.Random(seed)
        path = tmp_path / f"case{seed}.json"
        path.write_text(mutate(rng.choice(bases), rng), encoding="utf-8")
        try:
            load_trace(path)
        except BptraceError:
            continue
        found.append(path)
        if len(found) == count:
            break
    return found


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return loadable_cases(tmp_path_factory.mktemp("fuzz"), 4)


@pytest.mark.parametrize("case", range(4))
async def test_a_mutated_trace_that_loads_opens_and_steps(case: int, cases: list[Path]) -> None:
    path = cases[case]
    app = BptraceApp(trace=load_trace(path), title=f"view {path}")
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        for key in ("end", "home", "f", "b", "u", "right", "left", "end", "left"):
            await pilot.press(key)
        await pilot.pause()
        assert app.is_running  # an exception in a handler would have stopped the app
    assert app.return_code in (0, None)
