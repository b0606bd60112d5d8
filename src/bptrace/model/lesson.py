"""The seed course's side lessons as plain data: activation curves, softmax, losses, the tiny
chain-rule graph, and which output activation pairs with which loss.

Pure Python (no torch, no textual). :mod:`bptrace.tracer.lesson` fills these dataclasses with
numbers from torch autograd; the screens of :mod:`bptrace.tui.screens` show them. The texts
here (formulas, notes, pairing warnings) are ours.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import q

LESSON_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax")
LESSON_LOSSES = ("mse", "l1", "smooth_l1", "bce", "cross_entropy")
OUTPUT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity")

SOFTMAX_SAMPLES: list[list[float]] = [[-1.0, 2.0, -3.0, 4.0], [-2.0, 3.0, -3.0, 9.0]]
"""The seed's two samples of four class scores."""

# -- activations ---------------------------------------------------------------------------

FORMULAS: dict[str, tuple[str, str]] = {
    "sigmoid": ("σ(x) = 1/(1 + e^(−x))", "σ'(x) = σ(x)(1 − σ(x))"),
    "tanh": ("tanh(x) = (e^x − e^(−x))/(e^x + e^(−x))", "tanh'(x) = 1 − tanh(x)²"),
    "relu": ("relu(x) = max(0, x)", "relu'(x) = 1 if x > 0 else 0"),
    "leaky_relu": ("f(x) = x if x > 0 else a·x", "f'(x) = 1 if x > 0 else a"),
    "softmax": ("y_i = e^(x_i) / Σ_j e^(x_j)", "∂y_i/∂x_j = y_i(δ_ij − y_j)"),
}
"""Each activation and its derivative, written as on a board (``a`` is the leaky slope)."""

NOTES: dict[str, str] = {  # translated when shown: _(NOTES[name])
    "sigmoid": N_(
        "Squashes any score into (0, 1), so it reads as a probability: the usual output of a "
        "yes/no classifier (paired with bce). Weak spot: its slope is at most 0.25 and "
        "vanishes for |x| > 5, so stacked sigmoid layers pass back ever smaller gradients."
    ),
    "tanh": N_(
        "A sigmoid stretched to (−1, 1) and centred on 0, a common choice for hidden layers "
        "of small networks. Slope 1 at the origin, but it saturates just like sigmoid: far "
        "from 0 the gradient is practically gone."
    ),
    "relu": N_(
        "Passes positive inputs unchanged and zeroes the rest: cheap, and its gradient does "
        "not shrink for large inputs, hence the default for deep hidden layers. Weak spot: a "
        "neuron whose input stays negative gets gradient 0 and never recovers (dead neuron)."
    ),
    "leaky_relu": N_(
        "relu with a small slope a for negative inputs, so a neuron that is switched off "
        "still receives a little gradient and can come back. The slope is a choice to tune; "
        "the kink at 0 remains."
    ),
    "softmax": N_(
        "Turns a row of class scores into probabilities that sum to 1: the output of a "
        "multi-class classifier. Each output depends on every input (a full Jacobian, not a "
        "slope). Weak spot: e^x overflows for large scores unless the row maximum is "
        "subtracted first (torch does); and nn.CrossEntropyLoss already applies it."
    ),
}


@dataclass(frozen=True)
class ActivationCurve:
    """An activation and its derivative sampled on a grid, from autograd and from our formula."""

    name: str
    negative_slope: float | None
    x: list[float]
    y: list[float]
    grad: list[float]  # autograd: d y / d x at each point
    formula_grad: list[float]  # model.formulas.act_derivative at each point

    @property
    def max_disagreement(self) -> float:
        """The largest |autograd − formula| over the grid."""
        return max(abs(a - b) for a, b in zip(self.grad, self.formula_grad, strict=True))

    @property
    def agrees(self) -> bool:
        return self.max_disagreement <= 1e-12


@dataclass(frozen=True)
class SoftmaxDemo:
    """Softmax on a batch of score rows: outputs, Jacobians, and two backward passes."""

    scores: list[list[float]]
    outputs: list[list[float]]
    jacobians: list[list[list[float]]]  # per sample: J[i][j] = ∂y_i/∂x_j, from autograd
    formula_jacobians: list[list[list[float]]]  # y_i(δ_ij − y_j)
    sum_grad: list[list[float]]  # ∂(Σ y)/∂x: zero, rows of the Jacobian's columns sum to 0
    picked: int  # the output index backpropagated alone
    picked_grad: list[list[float]]  # ∂(Σ_n y[n, picked])/∂x

    @property
    def max_disagreement(self) -> float:
        return max(
            abs(a - b)
            for ja, jb in zip(self.jacobians, self.formula_jacobians, strict=True)
            for ra, rb in zip(ja, jb, strict=True)
            for a, b in zip(ra, rb, strict=True)
        )

    @property
    def max_sum_grad(self) -> float:
        return max(abs(v) for row in self.sum_grad for v in row)


SOFTMAX_SUM_WHY = N_(
    "Backpropagating y.sum() gives 0 for every score: each softmax row adds up to exactly 1 "
    "whatever the scores are, so the sum has nothing to change, and its gradient is zero. "
    "In Jacobian terms every column of J sums to y_j(1 − Σ_i y_i) = 0. To see how a score "
    "moves the outputs, backpropagate one output (or read the Jacobian)."
)

# -- losses --------------------------------------------------------------------------------

LOSS_FORMULAS: dict[str, str] = {
    "mse": "loss = (1/N) Σ (ŷ − y)²          ∂loss/∂ŷ = 2(ŷ − y)/N",
    "l1": "loss = (1/N) Σ |ŷ − y|          ∂loss/∂ŷ = sign(ŷ − y)/N",
    "smooth_l1": (
        "s(d) = d²/(2β) if |d| < β else |d| − β/2,  loss = (1/N) Σ s(ŷ − y)\n"
        "∂loss/∂ŷ = (d/β if |d| < β else sign d)/N"
    ),
    "bce": ("loss = −(1/N) Σ [y ln p + (1 − y) ln(1 − p)]\n∂loss/∂p = (p − y)/(p(1 − p))/N"),
    "cross_entropy": (
        "p = softmax(z) per row, loss = −(1/B) Σ_n Σ_k y_nk ln p_nk\n"
        "∂loss/∂z = (p − y)/B   (y one-hot for class indices)"
    ),
}

PAIRS: dict[str, str] = {  # translated when shown
    "mse": N_("regression: identity output (no squashing), predicting real numbers"),
    "l1": N_("regression: identity output; less swayed by outliers than mse"),
    "smooth_l1": N_("regression: identity output; mse near 0, l1 far away"),
    "bce": N_("yes/no classification: sigmoid output (probabilities in (0, 1))"),
    "cross_entropy": N_(
        "multi-class classification: raw scores (identity output); the loss applies softmax itself"
    ),
}

LOSS_EXAMPLES: dict[str, tuple[str, str]] = {
    "mse": ("[4.5, 5.0, 2.0]", "[3.0, 5.0, 2.5]"),
    "l1": ("[4.5, 5.0, 2.0]", "[3.0, 5.0, 2.5]"),
    "smooth_l1": ("[4.5, 5.0, 2.0]", "[3.0, 5.0, 2.5]"),
    "bce": ("[[0.1], [0.2], [0.7]]", "[[1], [0], [1]]"),
    "cross_entropy": ("[[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]]", "[1, 2]"),
}
"""The seed's worked examples: (predictions, targets) as editable text."""


@dataclass(frozen=True)
class LossDemo:
    """A loss on given predictions: its value, each element's share, and ∂loss/∂prediction."""

    name: str
    predictions: list[list[float]]  # rows × columns (a 1-D input is one row... see ``flat``)
    targets: list[list[float]]  # same shape; class indices become one-hot rows
    target_kind: str  # values | indices | probabilities
    beta: float | None
    loss: float
    contributions: list[list[float]]  # per element (per sample for cross_entropy), sum = loss
    grads: list[list[float]]  # ∂loss/∂prediction, from autograd, same shape as predictions
    indices: list[int] | None = None  # the class indices, when given as such
    warnings: list[str] = field(default_factory=list)


def parse_numbers(text: str, what: str) -> Any:
    """A list (or list of lists) of numbers typed in an Input, as JSON-like text.

    ``−`` is accepted for minus; a bare ``1, 2`` is read as a list. Raises BptraceError.
    """
    cleaned = text.strip().replace("−", "-")
    if not cleaned:
        raise BptraceError(_("{what}: type a list of numbers, e.g. [1.0, 2.5]").format(what=what))
    if not cleaned.startswith("["):
        cleaned = f"[{cleaned}]"
    said = {"what": what, "text": q(text.strip())}
    try:
        value = json.loads(cleaned)
    except (ValueError, RecursionError):  # also an int of over 4300 digits, [[[[… nested deep
        raise BptraceError(_("{what}: not a list of numbers: {text}").format(**said)) from None
    if not isinstance(value, list) or not value:
        raise BptraceError(_("{what}: expected a non-empty list, got {text}").format(**said))
    rows = value if isinstance(value[0], list) else [value]
    width = len(rows[0])
    for row in rows:
        if not isinstance(row, list) or len(row) != width or not row:
            raise BptraceError(
                _("{what}: every row needs {width} numbers").format(what=what, width=width)
            )
        for v in row:
            if not _finite(v):
                raise BptraceError(
                    _("{what}: {value} is not a finite number").format(what=what, value=q(v))
                )
    return value


def _finite(v: object) -> bool:
    """Whether ``v`` is a number a float holds (an int of 400 digits is not)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def pairing_warnings(output_activation: str, loss: str) -> list[str]:
    """Warnings for an output activation that does not suit ``loss`` (empty when it does)."""
    out: list[str] = []
    act = output_activation
    if loss == "cross_entropy" and act == "softmax":
        out.append(
            _(
                "double softmax: nn.CrossEntropyLoss applies log-softmax to its input itself, "
                "so a softmax output layer is squashed twice; the probabilities it trains are "
                "flat and the gradients small. Use an identity output (raw scores) with "
                "cross_entropy."
            )
        )
    if loss == "cross_entropy" and act in ("sigmoid", "tanh"):
        out.append(
            _(
                "cross_entropy expects raw scores; a {activation} output squeezes them into a "
                "narrow range, so the class probabilities can never get close to 0 or 1."
            ).format(activation=act)
        )
    if loss == "bce" and act != "sigmoid":
        if act == "softmax":
            why = _("softmax outputs lie in (0, 1) but are tied to each other")
        else:
            why = _("{activation} outputs can leave [0, 1], where ln p is undefined").format(
                activation=act
            )
        out.append(
            _(
                "bce needs a probability per output: use a sigmoid output ({why}; "
                "torch's BCELoss fails on values outside [0, 1])."
            ).format(why=why)
        )
    if loss in ("mse", "l1", "smooth_l1") and act == "softmax":
        out.append(
            _(
                "{loss} on softmax outputs compares probabilities with targets: for classes, "
                "cross_entropy on raw scores learns faster."
            ).format(loss=loss)
        )
    return out


# -- the tiny chain-rule graph -------------------------------------------------------------


@dataclass(frozen=True)
class GraphStep:
    """One node of an autograd graph met while walking ``grad_fn`` backward from the output.

    ``upstream`` is ∂out/∂(this node's result); ``locals_`` the local derivative of the
    result with respect to each input; ``downstream`` their products, passed on.
    """

    op: str  # torch's node class: AddBackward0, MulBackward0, AccumulateGrad, ...
    label: str  # which value it made: ``fc1 = 1/d``
    value: float | None  # the value it made in the forward pass (None for a leaf)
    upstream: float
    inputs: list[str]
    local_formulas: list[str]
    locals_: list[float]
    downstream: list[float]


@dataclass(frozen=True)
class ChainGraph:
    """The seed's tiny graph fc2 = 2·σ(x·w − b) + 1, its grad_fn walk and torch's .grad."""

    x: float
    w: float
    b: float
    forward: list[tuple[str, str, float]]  # (name, formula, value) in forward order
    steps: list[GraphStep]  # backward order, from fc2.grad_fn to the leaves
    grads: dict[str, float]  # from loss.backward(): fc1 (retain_grad), w, b


TORCH_RECIPROCAL = N_(" (torch writes 1/d as reciprocal(d)·1)")
"""Said after fc1's label in the walk (translated when the walk is made)."""

CHAIN_B_WHY = N_(
    "Why is b's gradient negative? The exponent is −x·w + b, so fc1 = 1/(e^(−x·w + b) + 1) "
    "= σ(x·w − b): b enters with a minus sign. Raising b lowers fc1, so ∂fc2/∂b = "
    "2 · σ'(0) · (−1) = 2 · 0.25 · (−1) = −0.5, while w gets 2 · 0.25 · x = +0.5."
)

# -- training ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingCurve:
    """A training run of the lesson's network: the loss before each step and after the last."""

    epochs: int
    lr: float
    train_biases: bool
    loss: list[float]

    @property
    def final(self) -> float:
        return self.loss[-1]
