"""What a person at a terminal waits for: ``python benchmarks/bench_app.py [--presses N]``.

Every figure comes from the app running as its own process in a pseudo-terminal that this
script reads (see ``pty_terminal.py``): the app is told the terminal supports synchronised
output, so each frame arrives framed by ``CSI ? 2026 h/l`` and a key's time is from writing
its bytes to the last byte of the last frame it caused (action, layout, compositor, driver
write and pty included; no terminal emulator's painting).

- start-up, fresh processes: the first frame (the loading screen), and "usable" (the step
  pane shows step 1), against the trace's own time in a fresh process (``import torch`` +
  ``trace_spec``) and against ``bptrace view`` of the same network exported to JSON;
- key → frame: a minimal Textual app (the floor), the classic 2-2-2 network, and an MLP
  784-256-128-10 with a batch of 64 (generated spec, see :func:`write_mlp784`): ``n``/``p``
  in the backward phase, ``End``/``Home``, and the tree cursor moving (each move jumps to the
  step that computes the node under it).
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pty_terminal import Terminal

PY = sys.executable

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App[None]):
    BINDINGS = [("n", "next", "Next"), ("p", "prev", "Prev")]
    count = 0
    def compose(self):
        yield Static("step 0", id="s")
    def action_next(self):
        self.count += 1
        self.query_one(Static).update(f"step {self.count}")
    def action_prev(self):
        self.count -= 1
        self.query_one(Static).update(f"step {self.count}")
Minimal().run()
"""

TRACE_ONLY = """
import sys, time
t0 = time.perf_counter()
from bptrace.model.spec import read_spec
spec = read_spec(sys.argv[1])
t1 = time.perf_counter()
from bptrace.tracer.api import trace_spec
tr = trace_spec(spec)
print(time.perf_counter() - t1, t1 - t0)
"""


def write_mlp784(path: Path, batch: int = 64) -> Path:
    """An MLP 784-256-128-10 (relu, logits, cross-entropy) on ``batch`` inputs of 784 numbers,
    as MNIST-sized as it gets without the data set: pixel-like values in [0, 1], seeded."""
    rng = random.Random(784)
    rows = [
        "["
        + ", ".join(f"{rng.random() if rng.random() < 0.4 else 0.0:.3f}" for _ in range(784))
        + "]"
        for _ in range(batch)
    ]
    targets = ", ".join(str(rng.randrange(10)) for _ in range(batch))
    path.write_text(
        f'name = "mlp 784-256-128-10 b{batch}"\nlayers = [784, 256, 128, 10]\n'
        'activation = "relu"\noutput_activation = "identity"\nloss = "cross_entropy"\n'
        f"lr = 0.1\nseed = 0\ninputs = [\n  {(',' + chr(10) + '  ').join(rows)}\n]\n"
        f"targets = [{targets}]\n",
        encoding="utf-8",
    )
    return path


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


def spread(values: list[float]) -> str:
    """The median and the IQR; with fewer than 4 values there is no IQR to speak of, so the
    values themselves are listed (End/Home are 2 presses each)."""
    ms = [v * 1000 for v in values]
    if len(ms) < 4:
        each = ", ".join(f"{v:.1f}" for v in ms)
        return f"median {median_ms(values)}  values {each} ms (n={len(ms)})"
    q = statistics.quantiles(ms, n=4, method="inclusive")
    return (
        f"median {median_ms(values)}  IQR {q[0]:.1f}–{q[2]:.1f}  max {max(ms):.1f} ms (n={len(ms)})"
    )


def start_up(argv: list[str], ready: str, runs: int) -> tuple[list[float], list[float]]:
    """First frame and ``ready`` on screen, seconds from spawning the process."""
    first, usable = [], []
    for _ in range(runs):
        term = Terminal(argv)
        try:
            frames = term.collect(None, 0.0, 120, term.started)
            first.append(frames.ends[0])
            rest = term.collect(ready, 0.3, 600, term.started)
            usable.append(rest.ends[-1] if ready in rest.text else frames.ends[-1])
        finally:
            term.close()
    return first, usable


def trace_only(spec: Path, runs: int) -> list[float]:
    """``import torch`` + ``trace_spec`` in a fresh process (the spec read before the clock)."""
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [PY, "-c", TRACE_ONLY, str(spec)], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.split()[0]))
    return times


def keys(
    argv: list[str], ready: str, presses: int, minimal: bool = False
) -> dict[str, list[float]]:
    """Key → last frame, per kind of key, in one app process."""
    term = Terminal(argv)
    out: dict[str, list[float]] = {}
    try:
        term.collect(ready, 0.5, 600, term.started)
        term.drain(1.0)
        if not minimal:
            term.press("b", "backward step")
        for n in range(presses):  # n/p: each press is one frame of the counter and panes
            key = "n" if n % 20 < 10 else "p"
            out.setdefault("n / p", []).append(term.press(key))
        if minimal:
            return out
        for _ in range(max(2, presses // 10)):
            out.setdefault("End", []).append(term.press("end", "update step"))
            out.setdefault("Home", []).append(term.press("home", "forward step 1 /"))
        term.press("b", "backward step")
        for n in range(presses):  # the tree cursor from o1: each move jumps to that node's step
            out.setdefault("tree ↓/↑ (jump)", []).append(term.press("down" if n % 10 < 5 else "up"))
    finally:
        term.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=60, help="key presses per kind (default 60)")
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per start-up case")
    parser.add_argument(
        "--keys-only", action="store_true", help="only the key → frame cases (no start-up)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        big = write_mlp784(Path(tmp) / "mlp784.toml")
        big_json = Path(tmp) / "mlp784.json"
        if not args.keys_only:
            subprocess.run(
                [PY, "-m", "bptrace", "export", "--spec", str(big), "-o", str(big_json)],
                check=True,
            )
        app = [PY, "-m", "bptrace"]
        print(
            f"machine: {sys.platform}, python {sys.version.split()[0]}; pty 120×40; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        )
        cases = (
            []
            if args.keys_only
            else [
                ("classic 2-2-2", app, "forward step 1 /", None),
                ("mlp 784-256-128-10 b64", [*app, "--spec", str(big)], "forward step 1 /", big),
                (
                    f"view of it ({big_json.stat().st_size / 2**20:.0f} MiB JSON)",
                    [*app, "view", str(big_json)],
                    "forward step 1 /",
                    None,
                ),
            ]
        )
        if cases:
            print(f"\nstart-up, fresh processes (median of {args.runs}; seconds from spawn):")
        for label, argv, ready, spec in cases:
            first, usable = start_up(argv, ready, args.runs)
            f, u = statistics.median(first), statistics.median(usable)
            line = f"  {label:34s} first frame {f * 1000:7.0f} ms   usable {u * 1000:7.0f} ms"
            if spec is not None:
                own = statistics.median(trace_only(spec, args.runs))
                line += f"   trace's own time {own * 1000:6.0f} ms   (usable − first frame) / trace = {(u - f) / own:.2f}×"
            print(line, flush=True)
        print(
            f"\nkey → last frame on the pty ({args.presses} presses per kind, End/Home {max(2, args.presses // 10)}):"
        )
        for label, argv, minimal in (
            ("minimal Textual app", [PY, "-c", MINIMAL], True),
            ("classic 2-2-2", app, False),
            ("mlp 784-256-128-10 b64", [*app, "--spec", str(big)], False),
        ):
            for kind, times in keys(
                argv, "step 0" if minimal else "forward step 1 /", args.presses, minimal
            ).items():
                print(f"  {label:24s} {kind:18s} {spread(times)}", flush=True)


if __name__ == "__main__":
    main()
