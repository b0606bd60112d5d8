"""How closely a backward step must agree with autograd: a tolerance for each value of its own.

A gradient is a sum of products. Rounding (torch's, in the trace's dtype, and ours) makes an
error proportional not to the gradient itself, which may cancel to nearly 0, but to the sizes
of everything summed on the way to it. So each value's scale is the same backward pass done
with absolute values: ``S(∂loss/∂o)`` from the loss gradient's parts (``|o| + |t|`` for
``o − t``), then ``S(∂loss/∂l) = S(∂loss/∂h)·|act'|``, ``S(∂loss/∂h) = S(∂loss/∂l) @ |W|``,
``S(∂loss/∂w) = Σ_samples S(∂loss/∂l)·|input|``. A step agrees when
``|ours − autograd| ≤ rtol · max(S, |autograd|)``; ``rtol`` is 1e-9 in float64 and 1e-5 in
float32, and the tolerance of each value (``rtol · S``) is what the screen shows. No absolute
floor shared by the whole network: a step off by 4e-9 relative is never "agrees" in float64.

float16 (eps = 2⁻¹⁰ ≈ 9.8e-4) rounds every result autograd computes to within u = 2⁻¹¹ ≈ 4.9e-4
of its size, or, below its smallest normal number 2⁻¹⁴ ≈ 6.1e-5, to within u · 2⁻¹⁴ (half the
subnormal spacing 2⁻²⁴). A backward step goes through about three roundings a layer (the
activation's derivative, the product, the matrix product) plus the loss's two, so 20 roundings
cover a network six layers deep: ``rtol`` is 20 · u ≈ 1e-2 and the sizes are floored at
2⁻¹⁴, ``rtol · max(S, |autograd|, 2⁻¹⁴)``. (Random float16 MLPs up to 6 layers deep need
1.3 · eps at most.) bfloat16 is refused before a trace is made.

A value that is not finite (an overflow to ±inf, or nan) agrees only with the same value: inf
with inf of the same sign, nan with nan; never with a finite one (:func:`agree`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.trace import Array

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

RTOL = {"float64": 1e-9, "float16": 1e-2}
RTOL_OTHER = 1e-5  # float32
FLOOR = {"float16": 2.0**-14}  # the smallest normal float16: below it, rounding is absolute


def rtol_of(dtype: str) -> float:
    return RTOL.get(dtype, RTOL_OTHER)


def floor_of(dtype: str) -> float:
    """The least size a value's tolerance is computed from (0: none, in float64 and float32)."""
    return FLOOR.get(dtype, 0.0)


def agree(ours: Array | float, autograd: Array | float, tol: Array | float) -> Array:
    """Elementwise: both finite and within ``tol``, or the same non-finite value on both sides
    (inf and inf of the same sign, nan and nan). ``|inf − inf|`` is nan and a tolerance may be
    inf, so neither side of ``<=`` alone can say it."""
    with np.errstate(all="ignore"):
        finite = np.isfinite(ours) & np.isfinite(autograd)
        close = np.abs(ours - autograd) <= tol
        same = (ours == autograd) | (np.isnan(ours) & np.isnan(autograd))
    return np.asarray((finite & close) | (same & ~finite))


def _loss_scale(tr: Trace) -> Array:
    """|∂loss/∂o| computed without cancellation: the sizes of the parts of each element."""
    net = tr.network
    out = tr.layers[-1].post.astype(np.float64)
    batch, width = out.shape
    n = F.loss_count(net.loss, batch, width)
    t = np.abs(F.target_matrix(net.loss, tr.targets, width))
    size = np.abs(out) + t
    name = net.loss.name
    if name == "mse":
        s = 2.0 * size
    elif name == "l1":
        s = np.ones_like(out)
    elif name == "smooth_l1":
        beta = float(net.loss.beta or 0.0)
        near = np.abs(out - F.target_matrix(net.loss, tr.targets, width)) < beta
        s = np.where(near, size / beta, 1.0) if beta > 0 else np.ones_like(out)
    elif name == "bce":
        s = size / np.maximum(out * (1.0 - out), F.BCE_EPS)
    else:  # cross_entropy: p·Σt − t
        p = F.softmax_rows(out)
        s = p * t.sum(axis=1, keepdims=True) + t
    result: Array = s / n
    return result


class Magnitudes:
    """The scale of every gradient of an MLP trace (see the module docstring)."""

    def __init__(self, tr: Trace) -> None:
        net, layers = tr.network, tr.layers
        self.tr = tr
        self.rtol = rtol_of(net.dtype)
        self.floor = floor_of(net.dtype)
        self.s_post: list[Array] = [np.empty(0)] * (net.depth + 1)
        self.s_pre: list[Array] = [np.empty(0)] * (net.depth + 1)
        with np.errstate(all="ignore"):
            self.s_post[net.depth] = _loss_scale(tr)
            for k in range(net.depth, 0, -1):
                layer, act = layers[k - 1], net.activations[k - 1]
                post = np.abs(layer.post.astype(np.float64))
                if act.name == "softmax":
                    dot = (self.s_post[k] * post).sum(axis=1, keepdims=True)
                    self.s_pre[k] = post * (self.s_post[k] + dot)
                else:
                    deriv = F.act_derivative(act, layer.pre, layer.post.astype(np.float64))
                    self.s_pre[k] = self.s_post[k] * np.abs(deriv)
                back = self.s_pre[k] @ np.abs(layer.weight.value.astype(np.float64))
                if k > 1:
                    self.s_post[k - 1] = back
                else:
                    self.s_input = back

    def scale(self, node: str) -> Array:
        """The scale of ∂loss/∂``node``: per sample for values, one number for parameters."""
        tr = self.tr
        ref = tr.namer.resolve(node)
        assert ref is not None
        if ref.letter in ("h", "o"):
            return self.s_post[ref.layer][:, ref.row]
        if ref.letter == "l":
            return self.s_pre[ref.layer][:, ref.row]
        if ref.letter == "i":
            return self.s_input[:, ref.row]
        s = self.s_pre[ref.layer][:, ref.row]
        if ref.letter == "b":
            return np.asarray(s.sum())
        k = ref.layer
        x = tr.inputs if k == 1 else tr.layers[k - 2].post
        return np.asarray((s * np.abs(x[:, ref.col].astype(np.float64))).sum())

    def check(self, node: str, total: Array, autograd: Array) -> tuple[bool, Array]:
        """Whether ``total`` agrees with ``autograd`` for ∂loss/∂``node``, and the tolerance."""
        with np.errstate(all="ignore"):
            size = np.maximum(np.maximum(self.scale(node), np.abs(autograd)), self.floor)
            tol = self.rtol * size
        return bool(np.all(agree(total, autograd, tol))), tol
