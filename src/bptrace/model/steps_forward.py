"""Forward steps of an MLP trace: each pre-activation, activation and the loss, with its numbers.

A mixin of :class:`bptrace.model.steps.StepList` (``_forward_<kind>(index, layer, position)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.fmt import Lazy, elide, fmt_signed
from bptrace.model.step import Step, per_sample_text
from bptrace.model.trace import per_sample

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


class ForwardSteps:
    """Builds the forward steps: values torch computed, shown as the formula's sum."""

    tr: Trace

    def _forward_pre(self, index: int, k: int, r: int) -> Step:
        tr, namer = self.tr, self.tr.namer
        layer = tr.layers[k - 1]
        n_in = tr.network.sizes[k - 1]
        node = namer.pre(k, r)
        inputs = tr.inputs if k == 1 else tr.layers[k - 2].post
        sym = [f"{namer.weight(k, r, c)}·{namer.layer_input(k, c)}" for c in range(n_in)]
        bias = layer.bias
        if bias is not None:
            sym.append(namer.bias(k, r))

        def sample(b: int) -> str:
            def term(c: int) -> str:
                if c == n_in:
                    assert bias is not None
                    return fmt_signed(float(bias.value[r]))
                w, x = float(layer.weight.value[r, c]), float(inputs[b, c])
                return f"{fmt_signed(w)} × {fmt_signed(x)}"

            return elide(Lazy(n_in + (bias is not None), term), " + ")

        return Step(
            index,
            "forward",
            node,
            f"{node} = {elide(sym, ' + ')}",
            per_sample_text(Lazy(inputs.shape[0], sample)),
            per_sample(layer.pre[:, r]),
        )

    def _forward_post(self, index: int, k: int, r: int) -> Step:
        tr, namer = self.tr, self.tr.namer
        layer, act = tr.layers[k - 1], tr.network.activations[k - 1]
        node, inp = namer.post(k, r), namer.pre(k, r)
        width = tr.network.sizes[k]
        peers = [namer.pre(k, j) for j in range(width)]
        formula = f"{node} = {F.act_formula(act, node, inp, peers)}"
        parts = Lazy(
            layer.pre.shape[0],
            lambda b: F.act_substituted(
                act, float(layer.pre[b, r]), [float(x) for x in layer.pre[b]]
            ),
        )
        return Step(
            index, "forward", node, formula, per_sample_text(parts), per_sample(layer.post[:, r])
        )

    def _forward_loss(self, index: int, k: int, r: int) -> Step:
        tr, namer = self.tr, self.tr.namer
        net = tr.network
        out = tr.layers[-1].post.astype(np.float64)
        n = F.loss_count(net.loss, net.batch, out.shape[1])
        outs = [namer.post(net.depth, j) for j in range(out.shape[1])]
        tnames = (
            [namer.target(j) for j in range(tr.targets.shape[1])]
            if net.loss.target_kind != "indices"
            else ["t1"]
        )
        formula = "loss = " + F.loss_formula(net.loss, outs, tnames, net.batch, n)
        return Step(
            index,
            "forward",
            "loss",
            formula,
            F.loss_substituted(net.loss, out, tr.targets, n),
            tr.loss,
        )
