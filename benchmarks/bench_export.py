"""The export/load case of bench_trace.py: ``--detail scalars`` on a ~10,000-scalar MLP.

32-64-64-10 ReLU/softmax, cross-entropy, batch 8, lr 0.01 (9,395 scalars, just under the
default's 10,000): the time to write the export (``dumps`` and the atomic write) and to read it
back (``load_trace``: JSON, validation, the Trace), wall clock and CPU time, median and IQR of a
few rounds. Run on its own: ``.venv/bin/python benchmarks/bench_export.py``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import torch

from bptrace.model.jsonio import dumps, load_trace, write_atomic
from bptrace.model.spec import parse_spec_text
from bptrace.tracer.api import trace_spec

WRITE_BUDGET, READ_BUDGET = 1.0, 0.5  # seconds (issue 10)


def spec_text() -> str:
    gen = torch.Generator().manual_seed(0)
    inputs = (torch.rand(8, 32, generator=gen) * 2 - 1).tolist()
    targets = torch.randint(0, 10, (8,), generator=gen).tolist()
    return (
        'name = "32-64-64-10 b8"\nlayers = [32, 64, 64, 10]\nactivation = "relu"\n'
        'output_activation = "softmax"\nloss = "cross_entropy"\nlr = 0.01\nseed = 0\n'
        f"inputs = {inputs}\ntargets = {targets}\n"
    )


def timed(job: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    job()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def summary(label: str, times: list[float], budget: float) -> str:
    med = statistics.median(times)
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"{label} median {med:.3f} s (IQR {q3 - q1:.3f} s; budget {budget} s)"


def export_load(rounds: int = 7) -> None:
    tr = trace_spec(parse_spec_text(spec_text(), "bench"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.json"
        write_atomic(path, dumps(tr, "scalars"))  # warm-up
        load_trace(path)
        writes, reads = [], []
        for _ in range(rounds):
            writes.append(timed(lambda: write_atomic(path, dumps(tr, "scalars"))))
            reads.append(timed(lambda: load_trace(path)))
        size = path.stat().st_size
    print(
        f"Export/load: {tr.network.name}, {tr.scalar_count():,} scalars, {len(tr.steps):,} steps, "
        f"--detail scalars, {size / 2**20:.1f} MiB; {rounds} rounds after a warm-up:"
    )
    for what, runs, budget in (("write", writes, WRITE_BUDGET), ("read", reads, READ_BUDGET)):
        print(f"  {what}: {summary('wall', [w for w, _ in runs], budget)}; ", end="")
        print(summary("CPU", [c for _, c in runs], budget))


if __name__ == "__main__":
    export_load()
