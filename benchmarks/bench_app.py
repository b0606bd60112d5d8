"""How fast the app appears and steps: ``python benchmarks/bench_app.py``.

Start-up is measured in fresh processes (median of several runs), headless: from process
start to the first paint, and to the trace being on screen, against a minimal Textual app
and against ``python -c "import torch"``. A step is one key press until the screen has
been updated (Pilot ``press`` + ``pause``), median over many presses, on the classic network
and on a 3-layer MLP with 50 neurons a layer.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5

CHILD = """
import sys, time
T0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import Static
{body}
"""

MINIMAL = """
class Minimal(App[None]):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        print("paint", time.time() - T0)
        self.exit()
Minimal().run(headless=True)
"""

BPTRACE = """
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp
class Timed(BptraceApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(lambda: print("paint", time.time() - T0))
        self.timer = self.set_interval(0.002, self.check)
    def check(self):
        if self.main.trace is not None:
            self.timer.stop()
            self.call_after_refresh(self.done)
    def done(self):
        print("ready", time.time() - T0)
        self.exit()
Timed(spec=parse_spec_text(CLASSIC_TEXT, "classic")).run(headless=True)
"""


def child(body: str) -> dict[str, float]:
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(body=body), str(start)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {
        k: float(v) for k, v in (line.split() for line in out.stdout.splitlines() if line.strip())
    }


def import_torch() -> float:
    start = time.time()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.time() - start


def big_spec(path: Path) -> None:
    inputs = ", ".join(f"{((i * 37) % 100) / 100:.2f}" for i in range(50))
    targets = ", ".join(f"{((i * 11) % 100) / 100:.2f}" for i in range(50))
    path.write_text(
        f'name = "mlp 50-50-50-50"\nlayers = [50, 50, 50, 50]\nactivation = "tanh"\n'
        f'output_activation = "identity"\nloss = "mse"\nlr = 0.1\nseed = 0\n'
        f"inputs = [{inputs}]\ntargets = [{targets}]\n"
    )


async def step_times(spec_path: Path | None, presses: int) -> list[float]:
    from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text, read_spec
    from bptrace.tui.app import BptraceApp

    spec = read_spec(spec_path) if spec_path else parse_spec_text(CLASSIC_TEXT, "classic")
    app = BptraceApp(spec=spec)
    times: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        while app.main.trace is None:
            await pilot.pause(0.01)  # the trace worker starts after the first frame
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.main
        view.index = view.trace.steps.phase_start("backward") or 0
        await pilot.pause()
        for n in range(presses):
            delta = 1 if n % 40 < 20 else -1
            t = time.perf_counter()
            view.action_step(delta)  # what the key's binding runs: every view updated
            app.screen._refresh_layout()  # layout and render now, as the next frame would
            times.append(time.perf_counter() - t)
            await pilot.pause()  # let the app settle (not timed: Pilot's own overhead)
    return times


def main() -> None:
    minimal = [child(MINIMAL)["paint"] for _ in range(RUNS)]
    runs = [child(BPTRACE) for _ in range(RUNS)]
    torch_import = [import_torch() for _ in range(RUNS)]
    paint = statistics.median(r["paint"] for r in runs)
    ready = statistics.median(r["ready"] for r in runs)
    print(f"start-up, median of {RUNS} fresh processes (headless):")
    print(f"  minimal Textual app, first paint   {statistics.median(minimal) * 1000:7.0f} ms")
    print(
        f"  bptrace, first paint (loading…)    {paint * 1000:7.0f} ms  "
        f"({paint / statistics.median(minimal):.2f}× the minimal app)"
    )
    print(f"  bptrace, trace ready on screen     {ready * 1000:7.0f} ms")
    print(f"  python -c 'import torch'           {statistics.median(torch_import) * 1000:7.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "mlp50.toml"
        big_spec(big)
        for label, spec, presses in (("classic 2-2-2", None, 200), ("MLP 50-50-50-50", big, 100)):
            times = asyncio.run(step_times(spec, presses))
            print(
                f"step key → screen updated, {label}: median {statistics.median(times) * 1000:.1f} ms, "
                f"p90 {sorted(times)[int(0.9 * len(times))] * 1000:.1f} ms ({presses} presses)"
            )


if __name__ == "__main__":
    main()
