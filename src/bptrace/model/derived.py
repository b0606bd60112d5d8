"""Our own gradients for every layer of an MLP trace, from the formulas (vectorised numpy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.trace import Array

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


class Derived:
    """Our own gradients for every layer, from the formulas (vectorised, numpy float64)."""

    def __init__(self, tr: Trace):
        net, layers = tr.network, tr.layers
        self.d_post: list[Array] = [np.empty(0)] * (net.depth + 1)
        self.d_pre: list[Array] = [np.empty(0)] * (net.depth + 1)
        self.d_post[net.depth] = F.loss_gradient(
            net.loss, layers[-1].post.astype(np.float64), tr.targets
        )
        for k in range(net.depth, 0, -1):
            layer, act = layers[k - 1], net.activations[k - 1]
            post = layer.post.astype(np.float64)
            if act.name == "softmax":
                dot = (self.d_post[k] * post).sum(axis=1, keepdims=True)
                self.d_pre[k] = post * (self.d_post[k] - dot)
            else:
                self.d_pre[k] = self.d_post[k] * F.act_derivative(act, layer.pre, post)
            back = self.d_pre[k] @ layer.weight.value.astype(np.float64)
            if k > 1:
                self.d_post[k - 1] = back
            else:
                self.d_input = back
