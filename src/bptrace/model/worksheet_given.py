"""The head of a worksheet: the network (sizes, activations, loss, lr) and every number given —
each input, target, weight and bias — as paragraphs of prose and LaTeX math."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from bptrace.i18n import _
from bptrace.model.describe import labelled
from bptrace.model.fmt import fmt
from bptrace.model.texmath import name_latex, number_latex
from bptrace.model.trace import Trace
from bptrace.model.worksheet_doc import Para, math, text

MAX_GIVEN = 64
"""A layer with more weights than this lists only the first few (a handout, not a dump)."""


def _assign(names: list[str], values: list[float]) -> str:
    return ",\\ ".join(
        f"{name_latex(n)} = {number_latex(fmt(v))}" for n, v in zip(names, values, strict=True)
    )


def _limited(names: list[str], values: list[float]) -> Para:
    if len(names) <= MAX_GIVEN:
        return (math(_assign(names, values)),)
    head = MAX_GIVEN // 2
    return (
        math(_assign(names[:head], values[:head]) + ",\\ \\ldots"),
        text(" " + _("({count} in all: bptrace export lists every one)").format(count=len(names))),
    )


def given_paragraphs(tr: Trace) -> Iterator[Para]:
    """The network, then the inputs and targets (per sample), then each layer's parameters."""
    net, namer = tr.network, tr.namer
    sizes = "-".join(str(s) for s in net.sizes)
    yield (
        text(
            _("Network: layer sizes {sizes}, {dtype}, batch of {batch}.").format(
                sizes=sizes, dtype=net.dtype, batch=net.batch
            )
        ),
    )
    for k, act in enumerate(net.activations, start=1):
        name = act.name
        if act.name == "leaky_relu":
            name += f" (negative_slope {fmt(act.negative_slope or 0.0)})"
        if k == net.depth:
            line = _("Activation function of the output layer: {name}.").format(name=name)
        else:
            line = _("Activation function of hidden layer {k}: {name}.").format(k=k, name=name)
        yield (text(line),)
    loss = net.loss.name
    if net.loss.name == "smooth_l1":
        loss += f" (beta {fmt(net.loss.beta or 0.0)})"
    yield (
        text(
            _("Loss function: {loss}, reduction {reduction}; ").format(
                loss=loss, reduction=net.loss.reduction
            )
        ),
        math("L"),
        text(" " + _("stands for the loss ({name}).").format(name="loss")),
    )
    if net.lr is not None:
        yield (
            text(labelled(_("Learning rate")) + " "),
            math(f"\\mathrm{{lr}} = {number_latex(fmt(net.lr))}"),
        )
    n_in = net.sizes[0]
    n_t = tr.targets.shape[1]
    t_names = [namer.target(j) for j in range(n_t)]
    for b in range(net.batch):
        label = _("Inputs and targets") if net.batch == 1 else _("Sample {n}").format(n=b + 1)
        inputs = [float(x) for x in tr.inputs[b]]
        targets = [float(x) for x in tr.targets[b]]
        assign = _assign([f"i{c + 1}" for c in range(n_in)], inputs)
        if net.loss.target_kind == "indices":
            yield (
                text(labelled(label) + " "),
                math(assign),
                text("; " + _("class index") + " "),
                math(f"t_{{1}} = {int(targets[0])}"),
            )
        else:
            yield (
                text(labelled(label) + " "),
                math(assign + ";\\quad " + _assign(t_names, targets)),
            )
    for k, layer in enumerate(tr.layers, start=1):
        rows, cols = layer.weight.value.shape
        names = [namer.weight(k, r, c) for r in range(rows) for c in range(cols)]
        values = [float(v) for v in np.asarray(layer.weight.value, dtype=np.float64).reshape(-1)]
        head = _("Layer {k} ({n_in} → {n_out}), weights").format(k=k, n_in=cols, n_out=rows)
        yield (text(labelled(head) + " "), *_limited(names, values))
        if layer.bias is not None:
            b_names = [namer.bias(k, r) for r in range(rows)]
            b_values = [float(v) for v in layer.bias.value]
            if layer.bias.trainable:
                head = _("Layer {k}, biases").format(k=k)
            else:
                head = _("Layer {k}, biases (frozen: not updated)").format(k=k)
            yield (text(labelled(head) + " "), *_limited(b_names, b_values))
