"""The matrix form of one layer's backward step, for the whole batch.

Rows are samples (as torch stores them): A is the layer's input (B×n_in), W its weight
(n_out×n_in), Δ = ∂loss/∂L (B×n_out). Then Δₖ = (Δₖ₊₁ · Wₖ₊₁) ⊙ f'(Lₖ) — one sample as a
column is δₖ = Wₖ₊₁ᵀ·δₖ₊₁ ⊙ f'(lₖ), which is where the transpose comes from — ∂loss/∂W = Δᵀ·A
(the sum over the batch is inside the product) and ∂loss/∂b = the column sums of Δ. Each
entry is tied to its scalar step (``∂loss/∂W2[0,1] = ∂loss/∂w6``) and checked. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt
from bptrace.model.tolerance import agree, floor_of
from bptrace.model.trace import Array, Trace

MAX_SHOWN = 6  # rows and columns of a matrix written out


@dataclass
class Block:
    """One matrix of the view: what it is, its formula and shapes, its numbers."""

    name: str
    formula: str
    shapes: str
    value: Array
    names: list[list[str]] = field(default_factory=list)
    note: str = ""


Entry = tuple[str, str, float, float, float]  # matrix entry, scalar, vector, step, autograd


@dataclass
class LayerMatrices:
    """The vectorised backward step of layer ``k``; its entries, each tied to its scalar
    step, are made when asked (a wide layer has hundreds of thousands: the text shows 40)."""

    k: int
    blocks: list[Block]
    count: int  # how many entries there are
    make_entries: Callable[[], Iterator[Entry]]

    def block(self, name: str) -> Block:
        return next(b for b in self.blocks if b.name == name)

    @property
    def entries(self) -> list[Entry]:
        """Every entry (each builds its scalar step)."""
        return list(self.make_entries())

    def first(self, n: int) -> list[Entry]:
        """The first ``n`` entries, only those built."""
        return list(islice(self.make_entries(), n))


def shape(a: Array) -> str:
    return "(" + "×".join(str(s) for s in a.shape) + ")"


def deltas(tr: Trace) -> list[Array]:
    """Δ for every layer (index k = 1..depth; index 0 unused), from the matrix recursion."""
    net, layers = tr.network, tr.layers
    out: list[Array] = [np.empty(0)] * (net.depth + 1)
    d_post = F.loss_gradient(net.loss, layers[-1].post.astype(np.float64), tr.targets)
    for k in range(net.depth, 0, -1):
        layer, act = layers[k - 1], net.activations[k - 1]
        post = layer.post.astype(np.float64)
        if act.name == "softmax":
            out[k] = post * (d_post - (d_post * post).sum(axis=1, keepdims=True))
        else:
            out[k] = d_post * F.act_derivative(act, layer.pre.astype(np.float64), post)
        d_post = out[k] @ layer.weight.value.astype(np.float64)
    return out


def layer_of(tr: Trace, name: str) -> int:
    ref = tr.namer.resolve(name)
    if ref is None:
        raise BptraceError(f"unknown name {name!r} (this network has {tr.describe_names()})")
    if ref.letter in ("t", "loss"):
        raise BptraceError(f"{name} belongs to no layer: try a weight, bias, l, h or o name")
    return max(ref.layer, 1)


def layer_matrices(tr: Trace, name: str) -> LayerMatrices:
    """The blocks of the layer that holds ``name``."""
    k = layer_of(tr, name)
    net, namer = tr.network, tr.namer
    layer, act = tr.layers[k - 1], net.activations[k - 1]
    d = deltas(tr)
    # B (the bias vector) and H/O (activations) are the layer's vectors: b1, h1 stay scalars
    a = (tr.inputs if k == 1 else tr.layers[k - 2].post).astype(np.float64)
    w = layer.weight.value.astype(np.float64)
    batch, n_out, n_in = a.shape[0], w.shape[0], w.shape[1]
    a_names = [[namer.layer_input(k, c) for c in range(n_in)]]
    l_names = [[namer.pre(k, r) for r in range(n_out)]]
    o_names = [[namer.post(k, r) for r in range(n_out)]]
    w_names = [[namer.weight(k, r, c) for c in range(n_in)] for r in range(n_out)]
    blocks = [
        Block(
            "A",
            f"the layer's input, a row per sample ({', '.join(a_names[0][:4])}{', …' if n_in > 4 else ''})",
            shape(a),
            a,
            a_names,
        ),
        Block(
            f"W{k}",
            f"the weights, out × in ({w_names[0][0]} .. {w_names[-1][-1]})",
            shape(w),
            w,
            w_names,
        ),
    ]
    if k == net.depth:
        up = F.loss_gradient(net.loss, layer.post.astype(np.float64), tr.targets)
        up_formula = (
            f"the loss's derivative ({', '.join(o_names[0][:4])}{', …' if n_out > 4 else ''})"
        )
    else:
        w_next = tr.layers[k].weight.value.astype(np.float64)
        up = d[k + 1] @ w_next
        up_formula = f"Δ{k + 1} · W{k + 1}   {shape(d[k + 1])}·{shape(w_next)}"
    note = (
        ""
        if k == net.depth
        else f"one sample as a column: W{k + 1}ᵀ·δ{k + 1} — the transpose is each weight read "
        "backwards, from the neuron it feeds to the one it comes from"
    )
    up_name = f"∂loss/∂H{k}" if k < net.depth else "∂loss/∂O"
    blocks.append(Block(up_name, up_formula, shape(up), up, o_names, note))
    if act.name == "softmax":
        delta_formula = "softmax is not elementwise: Δ = O ⊙ (∂loss/∂O − rowsum(∂loss/∂O ⊙ O))"
    else:
        deriv = F.act_derivative(act, layer.pre.astype(np.float64), layer.post.astype(np.float64))
        blocks.append(
            Block(
                f"f'(L{k})",
                f"elementwise: {F.act_derivative_formula(act, up_name[7:], f'L{k}')}",
                shape(deriv),
                deriv,
                l_names,
            )
        )
        delta_formula = f"{up_name} ⊙ f'(L{k})   {shape(up)} ⊙ {shape(deriv)}"
    delta = d[k]
    blocks.append(Block(f"Δ{k}", f"∂loss/∂L{k} = {delta_formula}", shape(delta), delta, l_names))
    dw = delta.T @ a
    blocks.append(
        Block(
            f"∂loss/∂W{k}",
            f"Δ{k}ᵀ · A   {shape(delta.T)}·{shape(a)}",
            shape(dw),
            dw,
            w_names,
            f"the sum over the batch ({batch} sample{'s' if batch > 1 else ''}) is inside the product",
        )
    )
    db = None
    if layer.bias is not None:
        db = delta.sum(axis=0)
        blocks.append(
            Block(
                f"∂loss/∂B{k}",
                f"the column sums of Δ{k}   {shape(delta)} → {shape(db)}",
                shape(db),
                db,
                [[namer.bias(k, r) for r in range(n_out)]],
            )
        )
    count = dw.size + (db.size if db is not None and layer.bias is not None else 0) + delta.size
    return LayerMatrices(k, blocks, count, lambda: _entries(tr, k, delta, dw, db))


def _entries(tr: Trace, k: int, delta: Array, dw: Array, db: Array | None) -> Iterator[Entry]:
    """Each entry of ∂loss/∂W, ∂loss/∂b and Δ, tied to its scalar step and to autograd."""
    namer, steps = tr.namer, tr.steps
    layer = tr.layers[k - 1]
    for r in range(dw.shape[0]):
        for c in range(dw.shape[1]):
            n = namer.weight(k, r, c)
            step = steps[steps.index_of(n, "backward") or 0]
            yield (
                f"∂loss/∂W{k}[{r},{c}]",
                n,
                float(dw[r, c]),
                float(np.asarray(step.value, dtype=np.float64)),
                float(layer.weight.grad[r, c]),
            )
    if db is not None and layer.bias is not None:
        for r in range(db.shape[0]):
            n = namer.bias(k, r)
            step = steps[steps.index_of(n, "backward") or 0]
            yield (
                f"∂loss/∂B{k}[{r}]",
                n,
                float(db[r]),
                float(np.asarray(step.value, dtype=np.float64)),
                float(layer.bias.grad[r]),
            )
    for r in range(delta.shape[1]):
        n = namer.pre(k, r)
        step = steps[steps.index_of(n, "backward") or 0]
        values = np.atleast_1d(np.asarray(step.value, dtype=np.float64))
        for b in range(delta.shape[0]):
            yield (
                f"Δ{k}[{b},{r}]",
                n if delta.shape[0] == 1 else f"{n} (sample {b + 1})",
                float(delta[b, r]),
                float(values[b]),
                float(layer.pre_grad[b, r]),
            )


def matrix_text(a: Array, names: list[list[str]] | None = None) -> list[str]:
    """A matrix as rows of numbers (elided past MAX_SHOWN rows or columns)."""
    m = np.atleast_2d(a)
    rows = []
    for i in range(min(m.shape[0], MAX_SHOWN)):
        cells = [fmt(float(x)).rjust(11) for x in m[i, :MAX_SHOWN]]
        if m.shape[1] > MAX_SHOWN:
            cells.append(f"… +{m.shape[1] - MAX_SHOWN}")
        rows.append("[" + " ".join(cells) + " ]")
    if m.shape[0] > MAX_SHOWN:
        rows.append(f"  … {m.shape[0] - MAX_SHOWN} more rows")
    return rows


def lines(view: LayerMatrices, tr: Trace, max_entries: int = 40) -> list[str]:
    """The whole view as plain text."""
    net = tr.network
    out = [
        f"layer {view.k} of {net.name or 'model'} in matrix form, batch of {net.batch} "
        f"(rows are samples, as torch stores them)"
    ]
    for b in view.blocks:
        out.append("")
        out.append(f"{b.name} {b.shapes} = {b.formula}")
        if b.note:
            out.append(f"  ({b.note})")
        out += ["  " + row for row in matrix_text(b.value)]
    out.append("")
    out.append("each entry is one scalar step (vector = scalar step = autograd):")
    rtol, floor = tr.steps.rtol, floor_of(net.dtype)
    for where, scalar, vec, step, auto in view.first(max_entries):
        ok = bool(
            agree(vec, step, rtol * max(abs(step), 1e-300, floor) + 1e-15)
            and agree(vec, auto, rtol * max(abs(auto), 1e-300, floor) + 1e-15)
        )
        out.append(f"  {where} = ∂loss/∂{scalar} = {fmt(vec)}  {'✓' if ok else '✗'}")
    if view.count > max_entries:
        out.append(f"  … {view.count - max_entries} more entries")
    return out
