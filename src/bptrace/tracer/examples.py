"""Built-in examples as real torch modules, including the seed course's two nn.Module forms.

Both seed forms carry the classic weights in float64, so they trace to exactly the same
numbers as ``classic`` — the point the course makes about the two ways of writing a module.
"""

from __future__ import annotations

import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.catalog import EXAMPLES, LESSON_EXAMPLES
from bptrace.model.errors import BptraceError
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tracer.build import DTYPE, Example, classic

HIDDEN_W = [[0.15, 0.20], [0.25, 0.30]]
OUTPUT_W = [[0.40, 0.45], [0.50, 0.55]]
HIDDEN_B, OUTPUT_B = [0.35, 0.35], [0.60, 0.60]


def _set(linear: nn.Linear, weight: list[list[float]], bias: list[float]) -> None:
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight, dtype=DTYPE))
        linear.bias.copy_(torch.tensor(bias, dtype=DTYPE))


class SeedFunctional(nn.Module):
    """Form (a): separate Linear layers; the activation is a plain function, not a module."""

    def __init__(self) -> None:
        super().__init__()
        self.linear1 = nn.Linear(2, 2, dtype=DTYPE)
        self.linear2 = nn.Linear(2, 2, dtype=DTYPE)
        _set(self.linear1, HIDDEN_W, HIDDEN_B)
        _set(self.linear2, OUTPUT_W, OUTPUT_B)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.sigmoid(self.linear1(x))
        return torch.sigmoid(self.linear2(h))


class SeedSequential(nn.Module):
    """Form (b): each layer is an ``nn.Sequential(Linear, Sigmoid)`` block."""

    def __init__(self) -> None:
        super().__init__()
        hidden, out = nn.Linear(2, 2, dtype=DTYPE), nn.Linear(2, 2, dtype=DTYPE)
        _set(hidden, HIDDEN_W, HIDDEN_B)
        _set(out, OUTPUT_W, OUTPUT_B)
        self.hidden = nn.Sequential(hidden, nn.Sigmoid())
        self.out = nn.Sequential(out, nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y: torch.Tensor = self.out(self.hidden(x))
        return y


def _seed(model: nn.Module) -> Example:
    inputs = torch.tensor([[0.05, 0.10]], dtype=DTYPE)
    targets = torch.tensor([[0.01, 0.99]], dtype=DTYPE)
    return model, inputs, targets, nn.MSELoss()


def small_cnn() -> Example:
    """A small CNN (conv, batch norm, in-place ReLU, pooling, dropout, linear head) on one 1×8×8 image."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1, dtype=DTYPE),
            nn.BatchNorm2d(4, dtype=DTYPE),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1, dtype=DTYPE),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Linear(8, 3, dtype=DTYPE),
        )
    rows = torch.arange(8, dtype=DTYPE)
    image = (rows[:, None] == rows[None, :]).to(DTYPE) + 0.5 * (rows[:, None] + rows[None, :] == 7)
    return model, image.reshape(1, 1, 8, 8), torch.tensor([1]), nn.CrossEntropyLoss()


def deep_sigmoid() -> Example:
    """Ten Linear + sigmoid layers, 8 wide: the early layers' gradients vanish."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        blocks: list[nn.Module] = []
        for k in range(10):
            blocks += [nn.Linear(4 if k == 0 else 8, 8 if k < 9 else 1, dtype=DTYPE), nn.Sigmoid()]
        model = nn.Sequential(*blocks)
        inputs = torch.rand(4, 4, dtype=DTYPE)
    targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]], dtype=DTYPE)
    return model, inputs, targets, nn.MSELoss()


def dead_relu() -> Example:
    """A ReLU MLP whose first layer has 12 of 16 units pushed dead by large negative biases."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        first = nn.Linear(4, 16, dtype=DTYPE)
        model = nn.Sequential(
            first, nn.ReLU(), nn.Linear(16, 8, dtype=DTYPE), nn.ReLU(), nn.Linear(8, 2, dtype=DTYPE)
        )
        inputs = torch.rand(8, 4, dtype=DTYPE)
        targets = torch.rand(8, 2, dtype=DTYPE)
    with torch.no_grad():
        first.bias[4:] = -5.0
    return model, inputs, targets, nn.MSELoss()


MODULE_EXAMPLES = {"small-cnn": small_cnn, "deep-sigmoid": deep_sigmoid, "dead-relu": dead_relu}
"""Examples for any-module tracing and gradient health (lr 0.1); the last two are MLPs."""


def example(name: str) -> tuple[Example, float]:
    """The example ``name``: ``((model, inputs, targets, loss_fn), lr)``."""
    if name not in EXAMPLES:
        raise BptraceError(
            _("unknown example {name!r} (known: {known}; see --list-examples)").format(
                name=name, known=", ".join(EXAMPLES)
            )
        )
    if name in LESSON_EXAMPLES:
        raise BptraceError(
            _(
                "{name} is a lesson of the app, not a network to trace: open it with "
                "`bptrace --example {name}` (or the g key in the app)"
            ).format(name=name)
        )

    if name in MODULE_EXAMPLES:
        return MODULE_EXAMPLES[name](), 0.1
    lr = parse_spec_text(CLASSIC_TEXT, "classic").lr
    if name == "seed-functional":
        return _seed(SeedFunctional()), lr
    if name == "seed-sequential":
        return _seed(SeedSequential()), lr
    return classic(), lr
