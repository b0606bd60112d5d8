"""Turn one recorded MLP pass into the trace's per-layer numpy arrays.

The gradients come from one ``torch.autograd.grad`` call over the tensors :func:`wanted`
lists, in its order: each layer's weight and bias, then its recorded outputs (those not
already hooked before an in-place change), and last the input when it needs a gradient.
:func:`layers` reads them back in that same order, so no tensor is looked up by ``id``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from bptrace.model.network import Activation
from bptrace.model.trace import Layer, Param
from bptrace.tracer.biasshape import per_neuron
from bptrace.tracer.capture import Event

Pair = tuple[nn.Parameter, nn.Parameter | None]  # a Linear layer's own weight and bias
Snaps = dict[int, np.ndarray]  # id() of a parameter → a copy of its value before the run


@dataclass
class LayerCall:
    """A Linear call and the activation that follows it (identity when there is none)."""

    linear: Event
    act: Activation
    post: Event


def wanted(calls: list[LayerCall], pairs: list[Pair], x: torch.Tensor) -> list[torch.Tensor]:
    """What the one ``autograd.grad`` call is asked for, in the order :func:`layers` reads."""
    asked: list[torch.Tensor] = []
    for call, (weight, bias) in zip(calls, pairs, strict=True):
        asked.append(weight)
        if bias is not None:
            asked.append(bias)
        if not call.linear.hooked:
            asked.append(call.linear.out)
        if call.post is not call.linear and not call.post.hooked:
            asked.append(call.post.out)
    if x.requires_grad:
        asked.append(x)
    return asked


def layers(
    calls: list[LayerCall],
    pairs: list[Pair],
    got: Iterator[torch.Tensor | None],
    snaps: Snaps,
    where: tuple[dict[int, str], list[str]],
    lr: float | None,
) -> list[Layer]:
    """Every traced layer: its parameters' snapshots, values and gradients as numpy arrays.

    ``got`` yields the gradients in :func:`wanted`'s order (``None``: no path to the loss);
    it is left at the input's. ``where`` is (id(module) → its path, the notes to add to).
    """
    out: list[Layer] = []
    for call, (weight, bias) in zip(calls, pairs, strict=True):
        w = _param(weight, snaps, next(got), lr)
        b = None if bias is None else _param(bias, snaps, next(got), lr)
        width = w.value.shape[0]
        if b is not None and b.value.shape != (width,):  # set through .data, say
            path = where[0][id(call.linear.module)]
            b = per_neuron(b, f"{path}." if path else "", width, where[1])
        linear, post = call.linear, call.post
        pre = as_matrix(linear.value)
        pre_grad = _grad(linear, got, pre)
        if post is linear:
            out.append(Layer(w, b, pre, pre_grad, pre, pre_grad))
        else:
            value = as_matrix(post.value)
            out.append(Layer(w, b, pre, pre_grad, value, _grad(post, got, value)))
    return out


def as_matrix(a: torch.Tensor) -> np.ndarray:
    """A detached numpy view of ``a`` as a matrix (a copy for a tensor not on the CPU)."""
    arr = a.numpy(force=True)
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def input_grad_later(first: Layer) -> Callable[[], np.ndarray]:
    """∂loss/∂inputs = ∂loss/∂l(layer 1) @ W1, the product autograd's Linear backward does."""

    def compute() -> np.ndarray:
        g = torch.from_numpy(first.pre_grad)
        w = torch.from_numpy(first.weight.value)
        return (g @ w).numpy()

    return compute


def _param(p: nn.Parameter, snaps: Snaps, grad: torch.Tensor | None, lr: float | None) -> Param:
    """Parameter ``p``: its snapshot, and its gradient ``grad`` (fresh: a view of it is only
    this trace's)."""
    value = snaps[id(p)]
    g = np.zeros_like(value) if grad is None else grad.numpy(force=True)
    trainable = p.requires_grad
    if lr is None:
        return Param(value, g, trainable)
    updated = torch.from_numpy(value).clone()
    if trainable:
        updated.add_(torch.from_numpy(g), alpha=-lr)  # exactly torch.optim.SGD's arithmetic
    return Param(value, g, trainable, updated.numpy())


def _grad(event: Event, got: Iterator[torch.Tensor | None], value: np.ndarray) -> np.ndarray:
    """The gradient of the recorded output ``event`` (whose value is ``value``): taken by its
    hook before an in-place change, else the next of ``got``."""
    if not event.hooked:
        grad = next(got)
    elif event.grad:
        grad = event.grad[-1]
    else:
        return np.zeros_like(value)
    return np.zeros_like(value) if grad is None else as_matrix(grad)
