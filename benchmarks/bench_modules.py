"""How much does per-module tracing cost? Plain forward+backward against ``trace_modules``.

Run by hand (not a test): ``.venv/bin/python benchmarks/bench_modules.py [--reps N]``.
Every repetition runs the three contenders once, in rotating order, on each case; figures
are medians over the repetitions, ratios are against plain. Budget (issue 5): capture ≤ 1.5×.

"capture" is ``trace_modules`` (one recorded forward and backward pass; the summary statistics
are deferred until first read). "+stats" is capture followed by ``ModuleTrace.settle()``, which
computes every statistic as export, health and the app do on first use: the whole cost.

Cases: (a) the ``small-cnn`` example (1×1×8×8, float64): an ``nn.Sequential``, run child by
child; (a') the same layers and weights in a model class with its own ``forward`` (features,
then head), as people write models: run with every module's forward wrapped; (b) a
ResNet-style stack of basic blocks (conv-BN-ReLU-conv-BN + identity, ReLU), about 1M
parameters, batch 16, 3×16×16 float32 input, CrossEntropyLoss (wrapped, like (a')). "plain" is what a user's training step costs without the
optimizer: ``loss_fn(model(x), t).backward()`` on the model itself (grads zeroed before).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from bptrace.tracer.examples import small_cnn
from bptrace.tracer.modules import trace_modules

BUDGET = 1.5


class Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.bn1(self.conv1(x)))
        out: torch.Tensor = self.relu(self.bn2(self.conv2(y)) + x)
        return out


class CustomCNN(nn.Module):
    """The small CNN's layers behind a forward of its own."""

    def __init__(self, seq: nn.Sequential) -> None:
        super().__init__()
        layers = list(seq)
        self.features = nn.Sequential(*layers[:8])
        self.head = nn.Sequential(*layers[8:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.features(x))
        return out


def custom_cnn() -> tuple[nn.Module, torch.Tensor, torch.Tensor, nn.Module]:
    model, x, t, loss_fn = small_cnn()
    return CustomCNN(model), x, t, loss_fn


def resnet_stack() -> tuple[nn.Module, torch.Tensor, torch.Tensor, nn.Module]:
    torch.manual_seed(0)
    c = 90
    model = nn.Sequential(
        nn.Conv2d(3, c, 3, padding=1, bias=False),
        nn.BatchNorm2d(c),
        nn.ReLU(inplace=True),
        *[Block(c) for _ in range(7)],
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(c, 10),
    )
    x = torch.randn(16, 3, 16, 16)
    t = torch.randint(0, 10, (16,))
    return model, x, t, nn.CrossEntropyLoss()


def plain(model: nn.Module, x: Any, t: torch.Tensor, loss_fn: Any) -> None:
    model.zero_grad(set_to_none=True)
    loss_fn(model(x), t).backward()


def capture(model: nn.Module, x: Any, t: torch.Tensor, loss_fn: Any) -> None:
    trace_modules(model, x, t, loss_fn, lr=0.1)


def capture_stats(model: nn.Module, x: Any, t: torch.Tensor, loss_fn: Any) -> None:
    trace_modules(model, x, t, loss_fn, lr=0.1).settle()


CONTENDERS: dict[str, Callable[..., None]] = {
    "plain": plain,
    "capture": capture,
    "+stats": capture_stats,
}


def timed(fn: Callable[..., None], *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=31)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    cases = {"small-cnn": small_cnn(), "custom-cnn": custom_cnn(), "resnet-stack": resnet_stack()}
    print(
        f"torch {torch.__version__}, {platform.machine()}, {torch.get_num_threads()} threads, "
        f"{args.reps} repetitions, medians"
    )
    print(
        f"{'case':<14} {'params':>9} {'plain ms':>10} {'capture ms':>11} {'ratio':>6}  "
        f"{'+stats ms':>10} {'ratio':>6}  budget (capture)"
    )
    worst = 0.0
    for name, (model, x, t, loss_fn) in cases.items():
        n = sum(p.numel() for p in model.parameters())
        for _ in range(3):  # warm-up
            for fn in CONTENDERS.values():
                fn(model, x, t, loss_fn)
        times: dict[str, list[float]] = {who: [] for who in CONTENDERS}
        order = list(CONTENDERS)
        for rep in range(args.reps):
            for who in order[rep % 3 :] + order[: rep % 3]:
                times[who].append(timed(CONTENDERS[who], model, x, t, loss_fn))
        p, c, cs = (statistics.median(times[who]) for who in order)
        ratio = c / p
        worst = max(worst, ratio)
        ok = "ok" if ratio <= BUDGET else "OVER"
        print(
            f"{name:<14} {n:>9,} {1e3 * p:>10.2f} {1e3 * c:>11.2f} {ratio:>5.2f}×  "
            f"{1e3 * cs:>10.2f} {cs / p:>5.2f}×  ≤{BUDGET}× {ok}"
        )
    print(f"worst ratio {worst:.2f}× (budget {BUDGET}×)")


if __name__ == "__main__":
    main()
