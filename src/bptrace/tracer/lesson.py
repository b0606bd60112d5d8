"""The numbers of the seed course's side lessons, from torch autograd (float64).

Activation curves and their derivatives, the softmax Jacobian, the worked loss examples, and
the classic network trained for N steps or traced at any epoch (the tiny chain-rule graph is
:mod:`bptrace.tracer.chain_graph`). Results are the pure dataclasses of
:mod:`bptrace.model.lesson`; our formulas (:mod:`bptrace.model.formulas`) are evaluated next
to autograd so the screens can say where the two agree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model import formulas as F
from bptrace.model.errors import BptraceError
from bptrace.model.lesson import (
    LESSON_ACTIVATIONS,
    LESSON_LOSSES,
    SOFTMAX_SAMPLES,
    ActivationCurve,
    LossDemo,
    SoftmaxDemo,
    TrainingCurve,
)
from bptrace.model.network import Activation
from bptrace.model.spec import CLASSIC_TEXT, Spec, parse_spec_text
from bptrace.model.trace import Trace
from bptrace.tracer.api import trace_spec
from bptrace.tracer.build import build
from bptrace.tracer.train import Progress, train

DTYPE = torch.float64


def grid(start: float = -10.0, stop: float = 10.0, steps: int = 100) -> torch.Tensor:
    """The seed's plotting grid, ``linspace(-10, 10, 100)``, float64."""
    return torch.linspace(start, stop, steps, dtype=DTYPE)


def _apply(name: str, x: torch.Tensor, slope: float) -> torch.Tensor:
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "tanh":
        return torch.tanh(x)
    if name == "relu":
        return torch.relu(x)
    if name == "leaky_relu":
        return nn.functional.leaky_relu(x, slope)
    raise BptraceError(f"no elementwise curve for {name!r}")


def activation_curve(name: str, negative_slope: float = 0.1, steps: int = 100) -> ActivationCurve:
    """``name`` and its derivative on ``linspace(-10, 10, steps)``: autograd next to our formula."""
    if name not in LESSON_ACTIVATIONS or name == "softmax":
        raise BptraceError(f"activation curve: unknown elementwise activation {name!r}")
    x = grid(steps=steps).requires_grad_(True)
    with torch.enable_grad():
        y = _apply(name, x, negative_slope)
        (g,) = torch.autograd.grad(y.sum(), x)
    act = Activation(name, negative_slope if name == "leaky_relu" else None)
    pre, post = x.detach().numpy(), y.detach().numpy()
    ours = F.act_derivative(act, pre, post)
    return ActivationCurve(
        name,
        act.negative_slope,
        pre.tolist(),
        post.tolist(),
        g.numpy().tolist(),
        np.asarray(ours, dtype=np.float64).tolist(),
    )


def softmax_demo(scores: list[list[float]] | None = None, picked: int = 0) -> SoftmaxDemo:
    """Softmax over each row of ``scores`` (the seed's two samples by default).

    The Jacobian of each row comes from ``torch.autograd.functional.jacobian``; ``sum_grad``
    backpropagates ``y.sum()`` (zero), ``picked_grad`` only output ``picked`` of each row.
    """
    rows = scores if scores is not None else SOFTMAX_SAMPLES
    x = torch.tensor(rows, dtype=DTYPE)
    if x.dim() != 2:
        raise BptraceError(_("softmax: expected rows of scores"))
    if not 0 <= picked < x.shape[1]:
        raise BptraceError(
            _("softmax: output index {index} out of range 0..{last}").format(
                index=picked, last=x.shape[1] - 1
            )
        )
    y = torch.softmax(x, dim=-1)
    jac = [
        torch.autograd.functional.jacobian(  # type: ignore[no-untyped-call]
            lambda r: torch.softmax(r, dim=-1), row
        )
        for row in x
    ]
    post = y.numpy()
    formula = [
        [
            [float(F.softmax_jacobian(post[n : n + 1], i, j)[0]) for j in range(x.shape[1])]
            for i in range(x.shape[1])
        ]
        for n in range(x.shape[0])
    ]
    xs = x.clone().requires_grad_(True)
    with torch.enable_grad():
        (sum_grad,) = torch.autograd.grad(torch.softmax(xs, dim=-1).sum(), xs)
        (one_grad,) = torch.autograd.grad(torch.softmax(xs, dim=-1)[:, picked].sum(), xs)
    return SoftmaxDemo(
        x.tolist(),
        y.tolist(),
        [j.tolist() for j in jac],
        formula,
        sum_grad.tolist(),
        picked,
        one_grad.tolist(),
    )


def _as_rows(value: Any) -> list[list[float]]:
    if isinstance(value, list) and value and isinstance(value[0], list):
        return [[float(v) for v in row] for row in value]
    return [[float(v) for v in value]]


def loss_demo(name: str, predictions: Any, targets: Any, beta: float = 1.0) -> LossDemo:
    """The loss ``name`` (torch semantics, mean reduction) of ``predictions`` against ``targets``.

    ``predictions``/``targets`` are lists or lists of rows. For cross_entropy the predictions
    are logits (batch × classes) and the targets either one class index per row or a row of
    probabilities. Contributions are torch's ``reduction="none"`` losses divided by the mean's
    count, so they add up to the loss; gradients come from autograd.
    """
    if name not in LESSON_LOSSES:
        raise BptraceError(
            _("unknown loss {name!r} (known: {known})").format(
                name=name, known=", ".join(LESSON_LOSSES)
            )
        )
    rows = _as_rows(predictions)
    flat_input = not (isinstance(predictions, list) and isinstance(predictions[0], list))
    pred = torch.tensor(rows, dtype=DTYPE)
    indices: list[int] | None = None
    if name == "cross_entropy":
        kind, target, indices = _ce_targets(targets, pred)
        t_rows = (
            nn.functional.one_hot(target, pred.shape[1]).to(DTYPE).tolist()
            if kind == "indices"
            else target.tolist()
        )
        fn: nn.Module = nn.CrossEntropyLoss()
        each_fn: nn.Module = nn.CrossEntropyLoss(reduction="none")
    else:
        kind = "values"
        t_rows = _as_rows(targets)
        target = torch.tensor(t_rows, dtype=DTYPE)
        if target.shape != pred.shape:
            raise BptraceError(
                _(
                    "targets have shape {target} but predictions {pred}; {loss} needs them equal"
                ).format(
                    target=_shape(t_rows, flat_input), pred=_shape(rows, flat_input), loss=name
                )
            )
        if name == "bce" and (bool(((pred < 0) | (pred > 1)).any())):
            raise BptraceError(_("bce: predictions must be probabilities in [0, 1]"))
        if name == "bce" and (bool(((target < 0) | (target > 1)).any())):
            raise BptraceError(_("bce: targets must lie in [0, 1]"))
        if name == "smooth_l1" and beta < 0:
            raise BptraceError(_("smooth_l1: beta must be >= 0, got {beta}").format(beta=beta))
        fn, each_fn = _loss_pair(name, beta)
    p = pred.clone().requires_grad_(True)
    with torch.enable_grad():
        loss = fn(p, target)
        (grad,) = torch.autograd.grad(loss, p)
    each = each_fn(pred, target)
    count = each.numel()
    contrib = each / count
    contrib_rows = [[float(v)] for v in contrib] if name == "cross_entropy" else contrib.tolist()
    return LossDemo(
        name,
        rows,
        [[float(v) for v in r] for r in t_rows],
        kind,
        beta if name == "smooth_l1" else None,
        float(loss.detach()),
        contrib_rows,
        grad.tolist(),
        indices,
    )


def _shape(rows: list[list[float]], flat: bool) -> str:
    return f"({len(rows[0])},)" if flat else f"({len(rows)}, {len(rows[0])})"


def _loss_pair(name: str, beta: float) -> tuple[nn.Module, nn.Module]:
    if name == "mse":
        return nn.MSELoss(), nn.MSELoss(reduction="none")
    if name == "l1":
        return nn.L1Loss(), nn.L1Loss(reduction="none")
    if name == "smooth_l1":
        return nn.SmoothL1Loss(beta=beta), nn.SmoothL1Loss(reduction="none", beta=beta)
    return nn.BCELoss(), nn.BCELoss(reduction="none")


def _ce_targets(targets: Any, pred: torch.Tensor) -> tuple[str, torch.Tensor, list[int] | None]:
    batch, classes = pred.shape
    if (
        isinstance(targets, list)
        and targets
        and all(isinstance(t, int) and not isinstance(t, bool) for t in targets)
    ):
        if len(targets) != batch:
            raise BptraceError(
                _("cross_entropy: expected {batch} class indices, got {count}").format(
                    batch=batch, count=len(targets)
                )
            )
        for t in targets:
            if not 0 <= t < classes:
                raise BptraceError(
                    _("cross_entropy: class index {index} out of range 0..{last}").format(
                        index=t, last=classes - 1
                    )
                )
        return "indices", torch.tensor(targets, dtype=torch.long), list(targets)
    rows = _as_rows(targets)
    if len(rows) != batch or any(len(r) != classes for r in rows):
        raise BptraceError(
            _(
                "cross_entropy: targets must be {batch} class indices or {batch} rows of "
                "{classes} probabilities"
            ).format(batch=batch, classes=classes)
        )
    if any(v < 0 or v > 1 for r in rows for v in r):
        raise BptraceError(_("cross_entropy: class probabilities must lie in [0, 1]"))
    return "probabilities", torch.tensor(rows, dtype=DTYPE), None


# -- training ------------------------------------------------------------------------------


def lesson_spec(train_biases: bool = True, lr: float = 0.5, base: Spec | None = None) -> Spec:
    """``base``'s spec (default: the classic 2-2-2 network), with biases trained or frozen and
    the given lr."""
    if not lr > 0:
        raise BptraceError(_("lr: must be > 0, got {value}").format(value=lr))
    spec = base if base is not None else parse_spec_text(CLASSIC_TEXT, "classic")
    return dataclasses.replace(spec, train_biases=train_biases, lr=lr)


def train_curve(spec: Spec, epochs: int, progress: Progress | None = None) -> TrainingCurve:
    """``epochs`` SGD steps of ``spec``'s network; raises Cancelled if ``progress`` says so."""
    if epochs < 1:
        raise BptraceError(f"N: must be at least 1, got {epochs}")
    model, inputs, targets, loss_fn = build(spec)
    result = train(model, inputs, targets, loss_fn, spec.lr, epochs, progress=progress)
    return TrainingCurve(epochs, spec.lr, spec.train_biases, list(result.loss))


def trace_at_epoch(spec: Spec, epoch: int, progress: Progress | None = None) -> Trace:
    """The full one-step trace of ``spec``'s network after ``epoch`` SGD steps.

    Its loss equals ``train_curve(spec, n).loss[epoch]`` for any ``n >= epoch``.
    """
    if epoch < 0:
        raise BptraceError(f"epoch: must be >= 0, got {epoch}")
    if epoch == 0:
        return trace_spec(spec)
    model, inputs, targets, loss_fn = build(spec)
    result = train(model, inputs, targets, loss_fn, spec.lr, epoch, progress=progress)
    weights = [w.tolist() for w in result.weights]
    biases = [
        (b if b is not None else np.zeros(w.shape[0])).tolist()
        for w, b in zip(result.weights, result.biases, strict=True)
    ]
    trained = dataclasses.replace(
        spec, weights=weights, biases=biases, name=f"{spec.name}, epoch {epoch}"
    )
    return trace_spec(trained)
