"""Backward steps of an MLP export a layer at a time: ∂loss/∂w, ∂loss/∂b, and ∂loss/∂x sums.

The numbers are computed for a whole layer in numpy with the same operations, element by
element, as :class:`~bptrace.model.steps.StepList` does one step at a time (the same products
in the same order, each sum over the same contiguous row), so they are the same numbers; the
text of each step is put together from pieces formatted once per layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.fmt import Lazy, elide, fmt_signed
from bptrace.model.jsonwrite import encode_string, nums, pad, step_head
from bptrace.model.step import per_sample_text, wrap
from bptrace.model.tolerance import agree, floor_of

if TYPE_CHECKING:
    from bptrace.model.names import Namer
    from bptrace.model.steps import StepList
    from bptrace.model.trace import Array

ELIDE = 6  # as fmt.elide


def _fmt_signed_all(a: Array) -> list[list[str]]:
    return [[fmt_signed(v) for v in row] for row in a.tolist()]


def param_steps(steps: StepList, k: int, bias: bool, first: int, level: int) -> Iterator[str]:
    """Every ∂loss/∂w (or ∂loss/∂b) step of layer ``k``, in row-major order."""
    tr, namer, d = steps.tr, steps.tr.namer, steps.derived
    layer, act = tr.layers[k - 1], tr.network.activations[k - 1]
    batch, rows = tr.network.batch, tr.network.sizes[k]
    param = layer.bias if bias else layer.weight
    assert param is not None
    if bias:
        local = np.ones((batch, 1))
        cols = 1
    else:
        local = (tr.inputs if k == 1 else tr.layers[k - 2].post).astype(np.float64)
        cols = tr.network.sizes[k - 1]
    post = layer.post.astype(np.float64)
    softmax = act.name == "softmax"
    if softmax:
        upstream: list[Array] = [d.d_pre[k]]
    else:
        upstream = [d.d_post[k], F.act_derivative(act, layer.pre, post)]
    head = upstream[0]
    for u in upstream[1:]:
        head = head * u  # (batch, rows): the product of the factors before the local one
    product = head[:, :, None] * local[:, None, :]  # (batch, rows, cols), as (a·b)·c
    terms = np.ascontiguousarray(product.transpose(1, 2, 0))  # (rows, cols, batch)
    total = np.sum(terms, axis=-1)
    autograd = param.grad.astype(np.float64).reshape(rows, cols)
    floor = floor_of(tr.network.dtype)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.maximum(np.abs(autograd), np.sum(np.abs(terms), axis=-1)), floor)
        if floor:  # float16: also the sizes upstream, which autograd rounded, as a step does
            upstream_sizes = steps.magnitudes.s_pre[k][:, :, None] * np.abs(local)[:, None, :]
            scale = np.maximum(scale, upstream_sizes.sum(axis=0))
        agrees = agree(total, autograd, steps.rtol * scale + steps.atol + 1e-300)

    # text pieces shared by many steps
    up_text = [_fmt_signed_all(u) for u in upstream]  # [factor][b][r]
    local_text = _fmt_signed_all(local)  # [b][c]
    up_nums = [[nums(row) for row in u.tolist()] for u in upstream]  # [factor][b][r]
    local_nums = [nums(row) for row in local.tolist()]
    term_nums = [[nums(cell) for cell in row] for row in terms.tolist()]  # [r][c][b]
    total_nums = [nums(row) for row in total.tolist()]
    autograd_nums = [nums(row) for row in autograd.tolist()]
    agree_text = [["true" if a else "false" for a in row] for row in agrees.tolist()]
    p1, p2, p3 = pad(level + 1), pad(level + 2), pad(level + 3)
    close2, close1, close0 = pad(level + 2) + "}", pad(level + 1) + "]", pad(level) + "}"
    sep2 = "," + p2
    factor_open = ["{" + p3 + f'"term": {b},' + p3 + '"name": ' for b in range(batch)]
    mid = "," + p3 + '"formula": '
    val = "," + p3 + '"value": '
    labels = [encode_string(f"sample {b + 1}") for b in range(batch)]
    sigma = "Σₙ " if batch > 1 else ""

    for r in range(rows):
        pre, out = namer.pre(k, r), namer.post(k, r)
        if softmax:
            up_names = [f"∂loss/∂{pre}"]
            up_forms = [f"∂loss/∂{pre}"]
        else:
            up_names = [f"∂loss/∂{out}", f"∂{out}/∂{pre}"]
            up_forms = [steps._upstream_formula(k, r), F.act_derivative_formula(act, out, pre)]
        up_wrapped = [wrap(f) for f in up_forms]
        up_names_enc = [encode_string(n) for n in up_names]
        up_forms_enc = [encode_string(f) for f in up_forms]
        # per sample b: the blocks of the factors before the local one
        up_blocks = [
            [
                factor_open[b]
                + up_names_enc[j]
                + mid
                + up_forms_enc[j]
                + val
                + up_nums[j][b][r]
                + close2
                for j in range(len(upstream))
            ]
            for b in range(batch)
        ]
        up_subst = [
            " × ".join(up_text[j][b][r] for j in range(len(upstream))) for b in range(batch)
        ]
        for c in range(cols):
            index = first + r * cols + c
            if bias:
                node, local_form = namer.bias(k, r), "1"
            else:
                node, local_form = namer.weight(k, r, c), namer.layer_input(k, c)
            names1 = [*up_names, f"∂{pre}/∂{node}"]
            lhs = f"∂loss/∂{node}"
            chain = sigma + " · ".join(names1)
            symbolic = sigma + " · ".join([*up_wrapped, wrap(local_form)])
            formula = " = ".join([lhs] + [p for p in dict.fromkeys([chain, symbolic]) if p != lhs])
            shown = range(batch) if batch <= ELIDE else [*range(ELIDE - 2), batch - 1]
            parts = [up_subst[b] + " × " + local_text[b][c] for b in shown]
            if batch > ELIDE:
                parts.insert(ELIDE - 2, f"… ({batch - ELIDE + 1} more)")
            substituted = " + ".join(parts)
            local_name = encode_string(f"∂{pre}/∂{node}")
            local_form_enc = mid + encode_string(local_form) + val
            factors = sep2.join(
                sep2.join(up_blocks[b])
                + sep2
                + factor_open[b]
                + local_name
                + local_form_enc
                + local_nums[b][c]
                + close2
                for b in range(batch)
            )
            term_values = term_nums[r][c]
            if batch > 1:
                term_blocks = sep2.join(
                    "{"
                    + p3
                    + '"label": '
                    + labels[b]
                    + ","
                    + p3
                    + '"value": '
                    + term_values[b]
                    + close2
                    for b in range(batch)
                )
            else:
                term_blocks = (
                    "{"
                    + p3
                    + '"label": '
                    + encode_string(node)
                    + ","
                    + p3
                    + '"value": '
                    + term_values[0]
                    + close2
                )
            yield (
                step_head(p1, index, "backward", node, formula, substituted, total_nums[r][c])
                + ","
                + p1
                + '"factors": ['
                + p2
                + factors
                + close1
                + ","
                + p1
                + '"terms": ['
                + p2
                + term_blocks
                + close1
                + ","
                + p1
                + '"autograd": '
                + autograd_nums[r][c]
                + ","
                + p1
                + '"agrees": '
                + agree_text[r][c]
                + close0
            )


def _vec(texts: list[str], level: int) -> str:
    """A per-sample value standing at ``level``: one number, or a list of them."""
    if len(texts) == 1:
        return texts[0]
    inner = pad(level + 1)
    return "[" + inner + ("," + inner).join(texts) + pad(level) + "]"


def via_steps(
    steps: StepList, nxt: int, nodes: list[str], grads: Array, first: int, level: int
) -> Iterator[str]:
    """The steps ∂loss/∂x of each input x of layer ``nxt``: a sum over that layer's neurons."""
    tr, namer, d = steps.tr, steps.tr.namer, steps.derived
    a = d.d_pre[nxt]  # (batch, T)
    w = tr.layers[nxt - 1].weight.value.astype(np.float64)  # (T, R)
    batch, count = a.shape
    terms = np.ascontiguousarray(a.T[None, :, :] * w.T[:, :, None])  # (R, T, batch)
    autograd = grads.astype(np.float64)  # (batch, R)
    floor = floor_of(tr.network.dtype)
    sizes = None
    if floor:  # float16: also the sizes upstream, which autograd rounded, as a step does
        mag = steps.magnitudes
        sizes = mag.s_post[nxt - 1] if nxt > 1 else mag.s_input
    a_text = _fmt_signed_all(a)  # [b][t]
    pres = [namer.pre(nxt, t) for t in range(count)]
    p1, p2, p3 = pad(level + 1), pad(level + 2), pad(level + 3)
    close2, close1, close0 = pad(level + 2) + "}", pad(level + 1) + "]", pad(level) + "}"
    sep2 = "," + p2
    a_blocks = [
        "{"
        + p3
        + f'"term": {t},'
        + p3
        + '"name": '
        + encode_string(f"∂loss/∂{pre}")
        + ","
        + p3
        + '"formula": '
        + encode_string(f"∂loss/∂{pre}")
        + ","
        + p3
        + '"value": '
        + _vec(nums(a[:, t].tolist()), level + 3)
        + close2
        for t, pre in enumerate(pres)
    ]
    via = [encode_string(f"via {pre}") for pre in pres]
    for r, node in enumerate(nodes):
        ag = autograd[:, r]
        tv = terms[r]
        total = np.sum(tv, axis=0)
        with np.errstate(all="ignore"):
            scale = np.maximum(np.maximum(np.abs(ag), np.sum(np.abs(tv), axis=0)), floor)
            if sizes is not None:
                scale = np.maximum(scale, sizes[:, r])
            agrees = bool(np.all(agree(total, ag, steps.rtol * scale + steps.atol + 1e-300)))
        formula = _via_formula(namer, pres, nxt, node, r)
        substituted = _via_substituted(a_text, w, r)
        w_nums = nums(w[:, r].tolist())
        tv_list = tv.tolist()
        factors = sep2.join(
            a_blocks[t]
            + sep2
            + "{"
            + p3
            + f'"term": {t},'
            + p3
            + '"name": '
            + encode_string(f"∂{pres[t]}/∂{node}")
            + ","
            + p3
            + '"formula": '
            + encode_string(namer.weight(nxt, t, r))
            + ","
            + p3
            + '"value": '
            + w_nums[t]
            + close2
            for t in range(count)
        )
        term_blocks = sep2.join(
            "{"
            + p3
            + '"label": '
            + via[t]
            + ","
            + p3
            + '"value": '
            + _vec(nums(tv_list[t]), level + 3)
            + close2
            for t in range(count)
        )
        yield (
            step_head(
                p1,
                first + r,
                "backward",
                node,
                formula,
                substituted,
                _vec(nums(total.tolist()), level + 1),
            )
            + ","
            + p1
            + '"factors": ['
            + p2
            + factors
            + close1
            + ","
            + p1
            + '"terms": ['
            + p2
            + term_blocks
            + close1
            + ","
            + p1
            + '"autograd": '
            + _vec(nums(ag.tolist()), level + 1)
            + ","
            + p1
            + '"agrees": '
            + ("true" if agrees else "false")
            + close0
        )


def _via_formula(namer: Namer, pres: list[str], nxt: int, node: str, r: int) -> str:
    lhs = f"∂loss/∂{node}"
    chain = elide(Lazy(len(pres), lambda t: f"∂loss/∂{pres[t]} · ∂{pres[t]}/∂{node}"), " + ")
    symbolic = elide(
        Lazy(len(pres), lambda t: f"{wrap(f'∂loss/∂{pres[t]}')} · {wrap(namer.weight(nxt, t, r))}"),
        " + ",
    )
    return " = ".join([lhs] + [p for p in dict.fromkeys([chain, symbolic]) if p != lhs])


def _via_substituted(a_text: list[list[str]], w: Array, r: int) -> str:
    count = w.shape[0]

    def sample(b: int) -> str:
        row = a_text[b]
        return elide(Lazy(count, lambda t: row[t] + " × " + fmt_signed(float(w[t, r]))), " + ")

    return per_sample_text(Lazy(len(a_text), sample))
