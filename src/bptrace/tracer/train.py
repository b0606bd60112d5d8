"""Plain SGD training on a copy of the model: the loss curve and the final state."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError, Cancelled
from bptrace.model.trace import MAX_EPOCHS, Training
from bptrace.tracer.biasshape import final_bias
from bptrace.tracer.mlp import owned_path

Progress = Callable[[int, int], bool | None]  # (done, total) -> True to cancel


def train(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: nn.Module,
    lr: float,
    epochs: int,
    linears: list[nn.Module] | None = None,
    progress: Progress | None = None,
) -> Training:
    """Run ``epochs`` SGD steps on a deep copy of ``model`` (the model itself is untouched).

    Parameters with ``requires_grad=False`` (frozen biases) are not trained. ``loss`` holds
    the loss before each step and after the last one (``epochs + 1`` numbers).
    """
    whole = not isinstance(epochs, bool) and hasattr(epochs, "__index__")  # int, numpy's ints
    if not whole or not 0 <= epochs <= MAX_EPOCHS:
        raise BptraceError(
            _("--epochs: must be a whole number from 0 to {max}, got {epochs!r}").format(
                max=f"{MAX_EPOCHS:,}", epochs=epochs
            )
        )
    if not lr > 0:
        raise BptraceError(f"lr: must be > 0, got {lr}")
    epochs = int(epochs)
    work = copy.deepcopy(model)
    paths = [
        owned_path(model, m)
        for m in (linears or [m for m in model.modules() if isinstance(m, nn.Linear)])
    ]
    trainable = [p for p in work.parameters() if p.requires_grad]
    opt = torch.optim.SGD(trainable, lr=lr)
    losses: list[float] = []
    every = max(1, epochs // 200)
    with torch.enable_grad():
        for epoch in range(epochs):
            opt.zero_grad()
            loss = loss_fn(work(inputs), targets)
            losses.append(float(loss.detach()))
            loss.backward()
            opt.step()
            if progress is not None and (epoch + 1) % every == 0 and progress(epoch + 1, epochs):
                raise Cancelled(f"training cancelled after {epoch + 1} of {epochs} steps")
        with torch.no_grad():
            output = work(inputs)
            losses.append(float(loss_fn(output, targets)))
    weights: list[np.ndarray] = []
    biases: list[np.ndarray | None] = []
    for path in paths:
        linear = work.get_submodule(path.rstrip(".")) if path else work
        assert isinstance(linear, nn.Linear)
        weights.append(linear.weight.detach().numpy().copy())
        bias = linear.bias
        width = linear.weight.shape[0]
        biases.append(None if bias is None else final_bias(bias.detach().numpy().copy(), width))
    out = output.detach().numpy()
    return Training(
        epochs, lr, losses, weights, biases, out.reshape(1, -1) if out.ndim == 1 else np.array(out)
    )
