"""How much does tracing cost? Plain forward+backward against bptrace's capture, capture + step
derivation, and (when it is importable) TorchLens, in one run.

Run by hand (not a test): ``make bench`` or ``.venv/bin/python benchmarks/bench_trace.py``.
One torch thread unless ``--threads``. Each case is measured on its own: warm-up, then rounds
of plain, capture, ... back to back (A B A B), so each capture is timed right after the plain it
is compared with; the figures are medians and IQRs, and the ratios are to the plain
forward+backward+zero_grad of the same case: of the medians, and the median of each round's
own ratio (steadier while other work loads the machine), and the minor page faults per run
(counted outside the timed part: memory the C allocator gave back and took again). Then the
export/load case (``bench_export.py``).
TorchLens (when importable) comes in a second part of the same run, interleaved with its own
plain and capture, because its first call wraps torch's functions for the rest of the process.

Cases: (a) the classic 2-2-2 network (float64, as ``bptrace.classic()`` builds it) and (b) an MLP
784-256-128-10 with sigmoid hidden layers, batch 64, ``nn.CrossEntropyLoss`` on class indices, in
float32 (the usual setting) and float64. Issue 10's budget: capture ≤ 1.2× plain on (b)
float32 and ≤ 1.5× on (a); and (issue 2) ``trace()`` on (b) builds no per-scalar Python objects
unless they are asked for; the last section checks that and prints what it found.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

import bptrace
from bptrace.model import steps as steps_mod
from bptrace.model import trace as trace_mod
from bptrace.model.steps import Derived
from bptrace.model.trace import Trace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torchlens import import_torchlens, torchlens_run  # noqa: E402

BUDGET = 1.2  # issue 10: capture on (b) float32, one thread
BUDGET_CLASSIC = 1.5  # issue 10: capture on (a), batch 1


@dataclass
class Case:
    """One network to measure: the model, a batch, the loss, and the contenders."""

    name: str
    model: nn.Module
    inputs: torch.Tensor
    targets: torch.Tensor
    loss_fn: nn.Module
    runs: dict[str, Callable[[], object]] = field(default_factory=dict)
    every: dict[str, int] = field(default_factory=dict)  # run a slow contender every k-th rep
    times: dict[str, list[float]] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)  # minor page faults over the timed runs


def mlp_b(dtype: torch.dtype, seed: int = 0) -> Case:
    """(b): 784-256-128-10, sigmoid hidden layers, batch 64, CrossEntropy on class indices."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(784, 256),
        nn.Sigmoid(),
        nn.Linear(256, 128),
        nn.Sigmoid(),
        nn.Linear(128, 10),
    ).to(dtype)
    x = torch.rand(64, 784, generator=gen, dtype=dtype)
    y = torch.randint(0, 10, (64,), generator=gen)
    name = f"(b) 784-256-128-10 sigmoid, batch 64, CE, {str(dtype).removeprefix('torch.')}"
    return Case(name, model, x, y, nn.CrossEntropyLoss())


def classic_a() -> Case:
    model, x, t, loss_fn = bptrace.classic()
    return Case("(a) classic 2-2-2, float64", model, x, t, loss_fn)


# -- the contenders ---------------------------------------------------------------------------
def plain(case: Case) -> Callable[[], object]:
    """model(x), the loss, loss.backward(), zero the grads: what a training step costs anyway."""
    model, x, t, loss_fn = case.model, case.inputs, case.targets, case.loss_fn

    def run() -> object:
        loss = loss_fn(model(x), t)
        loss.backward()
        model.zero_grad(set_to_none=True)
        return loss

    return run


def capture(case: Case) -> Callable[[], object]:
    """``bptrace.trace``, as a user calls it: its checks, one forward and backward with the
    calls recorded, per-layer arrays."""
    return lambda: bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn)


def agreement(tr: Trace, d: Derived) -> tuple[bool, float]:
    """Vectorised check of our derived gradients against autograd, for every layer.

    The rule of a backward step's check (|ours − autograd| ≤ rtol · max(S, |autograd|), with
    each value's scale S from ``model/tolerance.py``: the same backward pass done with absolute
    values), applied to whole arrays: no per-scalar Python object is built. Returns (all agree,
    worst error / allowed).
    """
    steps = tr.steps
    mag = steps.magnitudes
    rtol = steps.rtol
    worst, ok = 0.0, True

    def check(ours: np.ndarray, autograd: np.ndarray, scale: np.ndarray) -> None:
        nonlocal worst, ok
        err = np.abs(ours - autograd.astype(np.float64))
        allowed = rtol * np.maximum(scale, np.abs(autograd)) + 1e-300
        ok = ok and bool(np.all(err <= allowed))
        worst = max(worst, float(np.max(err / allowed)))

    depth = tr.network.depth
    check(d.d_post[depth], tr.layers[-1].post_grad, mag.s_post[depth])
    for k in range(depth, 0, -1):
        layer = tr.layers[k - 1]
        below = (tr.inputs if k == 1 else tr.layers[k - 2].post).astype(np.float64)
        d_pre, s_pre = d.d_pre[k], mag.s_pre[k]
        check(d_pre, layer.pre_grad, s_pre)
        check(d_pre.T @ below, layer.weight.grad, s_pre.T @ np.abs(below))  # Σ over samples
        if layer.bias is not None:
            check(d_pre.sum(axis=0), layer.bias.grad, s_pre.sum(axis=0))
        if k > 1:
            check(d.d_post[k - 1], tr.layers[k - 2].post_grad, mag.s_post[k - 1])
        else:
            check(d.d_input, tr.input_grad, mag.s_input)
    return ok, worst


def capture_steps(case: Case) -> Callable[[], object]:
    """Capture, the vectorised derivation, steps[0] and steps[n // 2], the agreement check."""

    def run() -> object:
        tr = bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn)
        steps = tr.steps
        d = steps.derived  # Derived(tr): every layer's gradients from the formulas, vectorised
        built = (steps[0], steps[len(steps) // 2])
        ok, _ = agreement(tr, d)
        if not ok:
            raise AssertionError(f"{case.name}: derived gradients disagree with autograd")
        return built

    return run


def step_costs(case: Case, reps: int = 5) -> str:
    """One-off: what each part of ``capture+steps`` costs on its own (median of ``reps``)."""
    parts: dict[str, list[float]] = {}
    for _ in range(reps):
        tr = bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn)
        steps = tr.steps
        n = len(steps)
        jobs: list[tuple[str, Callable[[], object]]] = [
            ("Derived(tr)", lambda s=steps: s.derived),
            ("agreement check", lambda s=steps, t=tr: agreement(t, s.derived)),
            ("steps[0]", lambda s=steps: s[0]),
            ("steps[n//2]", lambda s=steps, n=n: s[n // 2]),
            ("steps[n-1]", lambda s=steps, n=n: s[n - 1]),
        ]
        for label, job in jobs:
            start = time.perf_counter()
            out = job()
            elapsed = time.perf_counter() - start
            if isinstance(out, steps_mod.Step):
                label = f"{label} ({out.target})"
            parts.setdefault(label, []).append(elapsed)
    return "; ".join(f"{k} {fmt_ms(statistics.median(v))} ms" for k, v in parts.items())


# -- measuring --------------------------------------------------------------------------------
CLOCK = time.perf_counter  # --clock cpu: time.process_time (steadier on a loaded machine)


def measure(cases: list[Case], reps: int, warmup: int) -> None:
    """Per case, on its own: warm every contender up, then ``reps`` rounds of plain, capture,
    ... back to back (A B A B: each capture timed right after the plain it is compared with,
    with the same model's memory warm), so a ratio never compares across models."""
    for case in cases:
        for name in case.runs:
            case.times[name] = []
            for _ in range(warmup):
                case.runs[name]()
        gc.collect()
        for rep in range(reps):
            for name, run in case.runs.items():
                if rep % case.every.get(name, 1):
                    continue
                flt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                start = CLOCK()
                run()
                case.times[name].append(CLOCK() - start)
                flt = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - flt
                case.faults[name] = case.faults.get(name, 0) + flt


def pair_ratio(case: Case, name: str) -> float:
    """The median over rounds of (this contender's time / the plain run just before it)."""
    every = case.every.get(name, 1)
    plain_times = case.times["plain"][::every]
    return statistics.median(t / p for t, p in zip(case.times[name], plain_times, strict=False))


def fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def report(cases: list[Case]) -> None:
    print(
        "| case | contender | median ms | IQR ms | × plain (medians) | × plain (pairs) "
        "| page faults per run |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for case in cases:
        base = statistics.median(case.times["plain"])
        for name, times in case.times.items():
            med = statistics.median(times)
            q1, _, q3 = statistics.quantiles(times, n=4) if len(times) > 1 else (med, 0, med)
            faults = case.faults.get(name, 0) / len(times)
            print(
                f"| {case.name} | {name} | {fmt_ms(med)} | {fmt_ms(q3 - q1)} | {med / base:.2f}× "
                f"| {pair_ratio(case, name):.2f}× | {faults:.1f} |"
            )


# -- per-scalar objects -----------------------------------------------------------------------
def count_objects() -> tuple[Counter[str], Callable[[], None]]:
    """Count Step, Factor, Term and Node objects as they are built; returns (counts, undo)."""
    counts: Counter[str] = Counter()
    undo = []
    for cls in (steps_mod.Step, steps_mod.Factor, steps_mod.Term, trace_mod.Node):
        original = cls.__init__

        def init(self: Any, *a: Any, _o: Any = original, _n: str = cls.__name__, **k: Any) -> None:
            counts[_n] += 1
            _o(self, *a, **k)

        cls.__init__ = init  # type: ignore[method-assign]
        undo.append((cls, original))

    def restore() -> None:
        for cls, original in undo:
            cls.__init__ = original  # type: ignore[method-assign]

    return counts, restore


def per_scalar_check(case: Case) -> bool:
    """trace() + to_dict("tensors") on (b): no Step/Node built, the step cache empty."""
    counts, restore = count_objects()
    try:
        gc.collect()
        tracemalloc.start()
        tr = bptrace.trace(case.model, case.inputs, case.targets, case.loss_fn)
        _, peak_trace = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        doc = tr.to_dict("tensors")
        _, peak_dict = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        cached = len(tr.steps._cache)
        steps_total = len(tr.steps)
        built_trace = sum(counts.values())
        ok, worst = agreement(tr, tr.steps.derived)
        after_derived = sum(counts.values())
        steps = tr.steps
        _ = (steps[0], steps[steps_total // 2], steps[steps_total - 1])
        after_three = dict(counts)
    finally:
        restore()
    array_bytes = sum(
        a.nbytes
        for layer in tr.layers
        for a in (
            layer.weight.value,
            layer.weight.grad,
            *((layer.bias.value, layer.bias.grad) if layer.bias else ()),
            layer.pre,
            layer.pre_grad,
            layer.post,
            layer.post_grad,
        )
    ) + (tr.inputs.nbytes + tr.input_grad.nbytes)
    mib = 1 / 2**20
    print(f"\nPer-scalar objects on {case.name}:")
    print(
        f"  scalar quantities in the trace: {tr.scalar_count():,}; steps it could build: {steps_total:,}"
    )
    print(
        f"  after trace() + to_dict('tensors'): Step/Factor/Term/Node objects built = {built_trace}"
    )
    print(
        f"  StepList._cache entries = {cached}; exported steps = {len(doc['steps'])}, "
        f"nodes = {len(doc['nodes'])}, detail = {doc['detail']!r}"
    )
    print(
        f"  + Derived(tr), magnitudes and the agreement check: objects built = {after_derived}; "
        f"all layers agree with autograd: {ok} (worst error / allowed {worst:.2g})"
    )
    print(f"  + steps[0], steps[n//2], steps[n-1]: {after_three}")
    print(
        f"  tracemalloc peak (Python objects; the arrays' buffers are torch's, not traced): "
        f"trace() {peak_trace * mib:.2f} MiB, the trace's arrays holding "
        f"{array_bytes * mib:.2f} MiB; to_dict('tensors') {peak_dict * mib:.2f} MiB "
        f"(the JSON-ready lists of floats it was asked for)"
    )
    return built_trace == 0 and cached == 0 and after_derived == 0 and ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="interleaved repetitions (200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs of each first (10)")
    parser.add_argument(
        "--steps-every", type=int, default=5, help="on (b), run capture+steps every k-th rep (5)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1)")
    parser.add_argument("--no-export", action="store_true", help="skip the export/load case")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="what to time")
    parser.add_argument("--no-torchlens", action="store_true", help="skip TorchLens")
    parser.add_argument(
        "--pairs-only",
        action="store_true",
        help="time plain and capture alone, A B A B (no capture+steps in the rotation)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    tl, tl_note = (None, "skipped (--no-torchlens)") if args.no_torchlens else import_torchlens()
    print(
        f"bptrace {bptrace.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, CPU only; "
        f"TorchLens: {tl_note}"
    )
    print(
        f"per case: {args.warmup} warm-up runs of each, then {args.reps} rounds of plain, "
        f"capture, ... back to back (capture+steps on (b): every {args.steps_every}th); "
        f"medians and IQR of {args.clock} time; × plain (pairs): median of each round's ratio; "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )

    a, b32, b64 = classic_a(), mlp_b(torch.float32), mlp_b(torch.float64)
    cases = [a, b32, b64]
    for case in cases:
        case.runs = {
            "plain": plain(case),
            "capture": capture(case),
            **({} if args.pairs_only else {"capture+steps": capture_steps(case)}),
        }
    for case in (b32, b64):
        case.every["capture+steps"] = args.steps_every
    measure(cases, args.reps, args.warmup)
    report(cases)
    for case in [] if args.pairs_only else cases:
        print(f"\ncapture+steps, its parts once each ({case.name}):\n  {step_costs(case)}")
    if tl is not None:
        # TorchLens wraps torch's functions on its first call and leaves them wrapped, which
        # changes plain torch's speed too: so it comes second, with its own plain and capture.
        lens = []
        for case in (b32, b64):
            again = Case(case.name, case.model, case.inputs, case.targets, case.loss_fn)
            again.runs = {
                "plain": plain(again),
                "capture": capture(again),
                "torchlens": torchlens_run(again, tl),
            }
            lens.append(again)
        measure(lens, max(args.reps // 2, 10), min(args.warmup, 3))
        print("\nTorchLens, second part of the same run (torch's functions now wrapped by it):")
        report(lens)
    for case, budget in ((b32, BUDGET), (a, BUDGET_CLASSIC)):
        ratio = pair_ratio(case, "capture")
        verdict = "within" if ratio <= budget else "OVER"
        print(f"\nBudget: capture on {case.name} = {ratio:.2f}× plain ({verdict} {budget}×)")
    clean = per_scalar_check(b32)
    print(f"  no per-scalar objects unless asked: {'yes' if clean else 'NO'}")
    if not args.no_export:
        from bench_export import export_load  # beside this file

        print()
        export_load()


if __name__ == "__main__":
    main()
