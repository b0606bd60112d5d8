"""Biases set as 2-D tensors through ``.data``, as the course does.

The course writes ``model.linear1.bias.data = torch.tensor([[0.35, 0.35]])``: a bias of shape
(1, 2) where ``nn.Linear`` makes one of shape (2,). torch broadcasts it, so the numbers are the
classic ones, and the trace shows them per neuron after reshaping the bias (and its gradient and
update) to the one-per-neuron vector it stands for. A bias that cannot be read as one number per
neuron is refused.
"""

from __future__ import annotations

import numpy as np

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.trace import Param


def per_neuron(bias: Param, where: str, width: int, notes: list[str]) -> Param:
    """``bias`` as a vector of ``width`` numbers; a note in ``notes`` when it had another shape."""
    shape = tuple(bias.value.shape)
    if shape == (width,):
        return bias
    if bias.value.size != width or sum(1 for n in shape if n != 1) > 1:
        raise BptraceError(
            _(
                "{where}bias has shape {shape}: an nn.Linear with {width} outputs needs one bias "
                "per neuron, shape ({width},)"
            ).format(where=where, shape=shape, width=width)
        )
    notes.append(
        _(
            "{where}bias has shape {shape} (set through .data); traced as shape ({width},), "
            "one bias per neuron, as torch broadcasts it"
        ).format(where=where, shape=shape, width=width)
    )

    def flat(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.ascontiguousarray(a.reshape(width))

    value, grad = flat(bias.value), flat(bias.grad)
    assert value is not None and grad is not None
    return Param(value, grad, bias.trainable, flat(bias.updated))


def final_bias(bias: np.ndarray | None, width: int) -> np.ndarray | None:
    """A trained bias as one number per neuron (the same reshape as :func:`per_neuron`)."""
    if bias is None or bias.shape == (width,) or bias.size != width:
        return bias
    return np.ascontiguousarray(bias.reshape(width))
