"""Formulas of each activation and loss: the symbolic text, the substituted numbers, and the
local derivative evaluated on values captured from torch (numpy, float64).

These are our own formulas; the tracer's numbers come from torch, and every backward step
checks the product of these local factors against autograd.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from bptrace.model.fmt import Lazy, elide, fmt, fmt_signed
from bptrace.model.network import Activation, LossInfo

Array = NDArray[np.float64]
# torch clamps o(1 − o) from below in BCELoss's backward by 1e-12 rounded to float32, in every
# dtype (float64 too): 9.999999960041972e-13, so 1/eps is 1000000003995.8029, not 1e12
BCE_EPS = float(np.float32(1e-12))

# -- activations ------------------------------------------------------------------------


def act_formula(act: Activation, out: str, inp: str, peers: list[str] | None = None) -> str:
    """``h1 = σ(l1)`` written out: the right-hand side for ``out`` in terms of ``inp``."""
    name = act.name
    if name == "sigmoid":
        return f"σ({inp}) = 1/(1 + e^(−{inp}))"
    if name == "tanh":
        return f"tanh({inp})"
    if name == "relu":
        return f"max(0, {inp})"
    if name == "leaky_relu":
        return f"{inp} if {inp} > 0 else {fmt(act.negative_slope or 0.0)}·{inp}"
    if name == "softmax":
        denom = elide([f"e^{p}" for p in (peers or [inp])], " + ")
        return f"e^{inp}/({denom})"
    return inp


def act_substituted(act: Activation, x: float, peers: list[float] | None = None) -> str:
    """The right-hand side of :func:`act_formula` with the numbers put in."""
    name = act.name
    if name == "sigmoid":
        return f"1/(1 + e^(−{fmt_signed(x)}))"
    if name == "tanh":
        return f"tanh({fmt(x)})"
    if name == "relu":
        return f"max(0, {fmt(x)})"
    if name == "leaky_relu":
        return fmt(x) if x > 0 else f"{fmt(act.negative_slope or 0.0)} × {fmt_signed(x)}"
    if name == "softmax":
        vals = peers or [x]
        denom = elide(Lazy(len(vals), lambda j: f"e^{fmt_signed(vals[j])}"), " + ")
        return f"e^{fmt_signed(x)}/({denom})"
    return fmt(x)


def act_derivative(act: Activation, pre: Array, post: Array) -> Array:
    """d post / d pre for an elementwise activation, evaluated on captured values."""
    name = act.name
    if name == "sigmoid":
        return post * (1.0 - post)
    if name == "tanh":
        return (1.0 - post) * (1.0 + post)  # = 1 − t², without the cancellation near |t| = 1
    if name == "relu":
        return (pre > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(pre > 0, 1.0, float(act.negative_slope or 0.0))
    if name == "identity":
        return np.ones_like(pre, dtype=np.float64)
    raise ValueError(f"{name} is not elementwise")


def act_derivative_formula(act: Activation, out: str, inp: str) -> str:
    name = act.name
    if name == "sigmoid":
        return f"{out}(1 − {out})"
    if name == "tanh":
        return f"1 − {out}²"
    if name == "relu":
        return f"[{inp} > 0]"
    if name == "leaky_relu":
        return f"1 if {inp} > 0 else {fmt(act.negative_slope or 0.0)}"
    return "1"


def softmax_jacobian_formula(out_i: str, out_k: str, same: bool) -> str:
    """∂o_i/∂l_k of a softmax: o_i(δ_ik − o_k)."""
    return f"{out_i}(1 − {out_i})" if same else f"−{out_i}·{out_k}"


def softmax_jacobian(post: Array, i: int, k: int) -> Array:
    """∂o_i/∂l_k per sample, from the captured softmax outputs (shape B×m)."""
    delta = 1.0 if i == k else 0.0
    return post[:, i] * (delta - post[:, k])


# -- losses -----------------------------------------------------------------------------


def loss_count(loss: LossInfo, batch: int, width: int) -> int:
    """N, the divisor of a mean reduction (1 for sum)."""
    if loss.reduction == "sum":
        return 1
    return batch if loss.name == "cross_entropy" else batch * width


def softmax_rows(x: Array) -> Array:
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: Array = e / e.sum(axis=1, keepdims=True)
    return out


def target_matrix(loss: LossInfo, targets: Array, width: int) -> Array:
    """Targets as a B×m matrix (class indices become one-hot rows)."""
    if loss.target_kind == "indices":
        onehot = np.zeros((targets.shape[0], width))
        onehot[np.arange(targets.shape[0]), targets.astype(np.int64).reshape(-1)] = 1.0
        return onehot
    return targets


def loss_gradient(loss: LossInfo, out: Array, targets: Array) -> Array:
    """∂loss/∂o for every element (B×m), from our formulas and torch's forward values."""
    batch, width = out.shape
    n = loss_count(loss, batch, width)
    t = target_matrix(loss, targets, width)
    d = out - t
    if loss.name == "mse":
        g = 2.0 * d
    elif loss.name == "l1":
        g = np.sign(d)
    elif loss.name == "smooth_l1":
        beta = float(loss.beta or 0.0)
        g = np.sign(d) if beta == 0 else np.where(np.abs(d) < beta, d / beta, np.sign(d))
    elif loss.name == "bce":
        g = d / np.maximum(out * (1.0 - out), BCE_EPS)
    elif loss.name == "cross_entropy":
        p = softmax_rows(out)
        g = p * t.sum(axis=1, keepdims=True) - t
    else:  # pragma: no cover - validated upstream
        raise ValueError(loss.name)
    result: Array = g / n
    return result


def _over_n(text: str, n: int, *, wrap: bool = True) -> str:
    if n == 1:
        return text
    return f"({text})/{n}" if wrap else f"{text}/{n}"


def loss_gradient_formula(
    loss: LossInfo,
    o: str,
    t: str,
    col: int,
    n: int,
    probs_sum_one: bool = True,
    clamped: bool = False,
) -> str:
    """∂loss/∂o_j as text, e.g. ``(o1 − t1)`` for MSE averaged over two outputs; ``clamped``:
    some o_j(1 − o_j) of a BCE output is below torch's clamp (an output of 0 or 1)."""
    if loss.name == "mse":
        if n == 2:
            return f"({o} − {t})"
        return f"2({o} − {t})" if n == 1 else f"2({o} − {t})/{n}"
    if loss.name == "l1" or (loss.name == "smooth_l1" and not loss.beta):  # beta 0: L1
        return _over_n(f"sign({o} − {t})", n, wrap=False)
    if loss.name == "smooth_l1":
        beta = fmt(float(loss.beta or 0.0))
        core = f"({o} − {t})/{beta} if |{o} − {t}| < {beta} else sign({o} − {t})"
        return f"[{core}]/{n}" if n > 1 else core
    if loss.name == "bce" and clamped:  # written as torch computes it
        return _over_n(f"({o} − {t})/max({o}(1 − {o}), 1e-12)", n, wrap=False)
    if loss.name == "bce":
        return _over_n(f"({o} − {t})/({o}(1 − {o}))", n, wrap=False)
    p = f"p{col + 1}"
    if loss.target_kind == "indices":
        core = f"{p} − [{t} = {col}]"
    elif probs_sum_one:
        core = f"{p} − {t}"
    else:
        core = f"{p}·Σt − {t}"
    return _over_n(core, n) + ", p = softmax(o)"


def loss_formula(loss: LossInfo, outs: list[str], targets: list[str], batch: int, n: int) -> str:
    """The loss written out over the output names (``Σₙ`` in front for a batch)."""
    over = "Σₙ " if batch > 1 else ""
    if loss.name == "cross_entropy":
        if loss.target_kind == "indices":
            body = f"−{over}ln p[{targets[0]}]"
        else:
            body = (
                f"−{over}("
                + elide([f"t{j + 1}·ln p{j + 1}" for j in range(len(outs))], " + ")
                + ")"
            )
        return _over_n(body, n, wrap=False) + ", p = softmax(o)"
    terms = [_elementwise_term(loss, o, t) for o, t in zip(outs, targets, strict=True)]
    body = elide(terms, " + ")
    if loss.name == "bce":
        body = f"−{over}(" + body + ")"
    elif batch > 1:
        body = f"{over}({body})"
    text = (
        _over_n(body, n)
        if (len(terms) > 1 or batch > 1) and loss.name != "bce"
        else _over_n(body, n, wrap=False)
    )
    if loss.name == "smooth_l1" and not loss.beta:  # torch's smooth_l1 with beta 0 is L1
        text += ", s(d) = |d| (beta = 0)"
    elif loss.name == "smooth_l1":
        beta = fmt(float(loss.beta or 0.0))
        text += f", s(d) = 0.5·d²/{beta} if |d| < {beta} else |d| − 0.5·{beta}"
    return text


def _elementwise_term(loss: LossInfo, o: str, t: str) -> str:
    if loss.name == "mse":
        return f"({o} − {t})²"
    if loss.name == "l1":
        return f"|{o} − {t}|"
    if loss.name == "smooth_l1":
        return f"s({o} − {t})"
    return f"{t}·ln {o} + (1 − {t})·ln(1 − {o})"


def bce_clamped(out: Array) -> bool:
    """Some BCE output is so near 0 or 1 that torch clamps its gradient's o(1 − o)."""
    return bool(np.any(out * (1.0 - out) < BCE_EPS))


def _ln(x: float) -> str:
    """``ln x`` as BCELoss computes it: torch clamps the log at −100 (so ln 0 counts −100)."""
    return f"ln {fmt(x)}" if x > 0 and np.log(x) >= -100 else f"max(ln {fmt(x)}, −100)"


def loss_substituted(loss: LossInfo, out: Array, targets: Array, n: int) -> str:
    """The loss with every element's numbers put in (elided for large outputs/batches)."""
    batch, width = out.shape
    if loss.name == "cross_entropy":
        p = softmax_rows(out)
        t = target_matrix(loss, targets, width)

        def sample(b: int) -> str:
            if loss.target_kind == "indices":
                return f"ln {fmt(float(p[b, int(targets.reshape(-1)[b])]))}"
            inner = Lazy(width, lambda j: f"{fmt(float(t[b, j]))} × ln {fmt(float(p[b, j]))}")
            return "(" + elide(inner, " + ") + ")"

        parts = Lazy(batch, sample)
        body = "−(" + elide(parts, " + ") + ")" if batch > 1 else "−" + parts[0]
        return _over_n(body, n, wrap=False)

    def term(i: int) -> str:
        b, j = divmod(i, width)
        o, t1 = float(out[b, j]), float(targets[b, j])
        if loss.name == "mse":
            return f"({fmt(o)} − {fmt_signed(t1)})²"
        if loss.name == "l1":
            return f"|{fmt(o)} − {fmt_signed(t1)}|"
        if loss.name == "smooth_l1":
            return f"s({fmt(o - t1)})"
        return f"{fmt(t1)} × {_ln(o)} + {fmt(1 - t1)} × {_ln(1 - o)}"

    terms = Lazy(batch * width, term)
    body = elide(terms, " + ")
    if loss.name == "bce":
        return _over_n("−(" + body + ")", n, wrap=False)
    return _over_n(body, n) if len(terms) > 1 else _over_n(body, n, wrap=False)
