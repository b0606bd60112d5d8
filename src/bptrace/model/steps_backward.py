"""Backward steps of an MLP trace: chains of named local factors, each checked against autograd.

Backward steps are products (or, for a value with several consumers, sums of products) of
named local factors from :mod:`bptrace.model.formulas`, evaluated on torch's forward values;
each is checked against the gradient autograd computed. A mixin of
:class:`bptrace.model.steps.StepList` (``_backward_<kind>(index, layer, position)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.derived import Derived
from bptrace.model.fmt import Lazy, elide, fmt, fmt_signed
from bptrace.model.step import Factor, Step, Term, per_sample_text, wrap
from bptrace.model.tolerance import Magnitudes, rtol_of
from bptrace.model.trace import per_sample

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


def tolerances(tr: Trace) -> tuple[float, float]:
    """The relative tolerance of the agreement check, and no absolute floor: each value gets
    its own tolerance from the sizes of what is summed to make it (:mod:`bptrace.model.tolerance`)."""
    return rtol_of(tr.network.dtype), 0.0


class BackwardSteps:
    """Builds the backward steps from :class:`Derived` gradients and torch's forward values."""

    tr: Trace
    rtol: float
    atol: float

    @cached_property
    def derived(self) -> Derived:
        return Derived(self.tr)

    @cached_property
    def magnitudes(self) -> Magnitudes:
        return Magnitudes(self.tr)

    def _checked(
        self,
        index: int,
        node: str,
        names: list[list[str]],
        forms: list[list[str]],
        values: Sequence[Sequence[Any]],
        labels: list[str],
        autograd: Any,
        per_param: bool,
    ) -> Step:
        """Assemble a backward step from its terms and compare the sum with autograd."""
        shape = () if per_param else autograd.shape
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is shown, as inf
            term_values = [
                np.prod([np.broadcast_to(v, shape) for v in vals], axis=0) for vals in values
            ]
            total = np.sum(np.stack(term_values), axis=0)
        agrees, tol = self.magnitudes.check(node, total, autograd)
        lhs = f"∂loss/∂{node}"
        sum_prefix = "Σₙ " if per_param and len(values) > 1 else ""
        if per_param and len(values) > 1:
            chain = sum_prefix + " · ".join(names[0])
            symbolic = sum_prefix + " · ".join(wrap(f) for f in forms[0])
        else:
            chain = elide([" · ".join(n) for n in names], " + ")
            symbolic = elide([" · ".join(wrap(f) for f in fs) for fs in forms], " + ")
        parts_f = [lhs] + [p for p in dict.fromkeys([chain, symbolic]) if p != lhs]
        formula = " = ".join(parts_f)
        show = fmt if sum(len(vals) for vals in values) == 1 else fmt_signed  # one bare number
        if per_param:
            substituted = elide(
                Lazy(len(values), lambda t: " × ".join(show(float(v)) for v in values[t])), " + "
            )
        else:
            batch = autograd.shape[0]

            def sample(b: int) -> str:
                def product(t: int) -> str:
                    return " × ".join(
                        show(float(np.broadcast_to(v, (batch,))[b])) for v in values[t]
                    )

                return elide(Lazy(len(values), product), " + ")

            substituted = per_sample_text(Lazy(batch, sample))
        factors = []
        for t, (ns, fs, vs) in enumerate(zip(names, forms, values, strict=True)):
            for n, f, v in zip(ns, fs, vs, strict=True):
                val = float(v) if per_param or np.ndim(v) == 0 else per_sample(np.asarray(v))
                factors.append(Factor(n, f, val, t))
        conv = (lambda a: float(a)) if per_param else per_sample  # noqa: E731
        terms = tuple(Term(lbl, conv(tv)) for lbl, tv in zip(labels, term_values, strict=True))
        return Step(
            index,
            "backward",
            node,
            formula,
            substituted,
            conv(total),
            tuple(factors),
            terms,
            conv(autograd),
            agrees,
            chain,
            symbolic,
            conv(tol),
        )

    def _backward_dpost(self, index: int, k: int, r: int) -> Step:
        tr, namer, d = self.tr, self.tr.namer, self.derived
        node = namer.post(k, r)
        layer = tr.layers[k - 1]
        if k < tr.network.depth:  # a hidden activation: a sum over the next layer's neurons
            nxt = tr.layers[k]
            rows = range(tr.network.sizes[k + 1])
            names = [
                [f"∂loss/∂{namer.pre(k + 1, q)}", f"∂{namer.pre(k + 1, q)}/∂{node}"] for q in rows
            ]
            forms = [[f"∂loss/∂{namer.pre(k + 1, q)}", namer.weight(k + 1, q, r)] for q in rows]
            values = [[d.d_pre[k + 1][:, q], np.float64(nxt.weight.value[q, r])] for q in rows]
            labels = [f"via {namer.pre(k + 1, q)}" for q in rows]
            return self._checked(
                index,
                node,
                names,
                forms,
                values,
                labels,
                layer.post_grad[:, r].astype(np.float64),
                False,
            )
        net = tr.network
        out = layer.post.astype(np.float64)
        n = F.loss_count(net.loss, net.batch, out.shape[1])
        tname = namer.target(r) if net.loss.target_kind != "indices" else "t1"
        form = self._loss_grad_formula(node, tname, r, n)
        return self._checked(
            index,
            node,
            [[f"∂loss/∂{node}"]],
            [[form]],
            [[d.d_post[k][:, r]]],
            [node],
            layer.post_grad[:, r].astype(np.float64),
            False,
        )

    @cached_property
    def _probs_sum_one(self) -> bool:
        t = self.tr.targets
        return self.tr.network.loss.target_kind != "probabilities" or bool(
            np.allclose(t.sum(axis=1), 1.0)
        )

    def _backward_dinput(self, index: int, k: int, r: int) -> Step:
        tr, namer, d = self.tr, self.tr.namer, self.derived
        node = f"i{r + 1}"
        rows = range(tr.network.sizes[1])
        first = tr.layers[0]
        names = [[f"∂loss/∂{namer.pre(1, q)}", f"∂{namer.pre(1, q)}/∂{node}"] for q in rows]
        forms = [[f"∂loss/∂{namer.pre(1, q)}", namer.weight(1, q, r)] for q in rows]
        values = [[d.d_pre[1][:, q], np.float64(first.weight.value[q, r])] for q in rows]
        labels = [f"via {namer.pre(1, q)}" for q in rows]
        return self._checked(
            index, node, names, forms, values, labels, tr.input_grad[:, r].astype(np.float64), False
        )

    def _backward_dpre(self, index: int, k: int, r: int) -> Step:
        tr, namer, d = self.tr, self.tr.namer, self.derived
        layer, act = tr.layers[k - 1], tr.network.activations[k - 1]
        node, out = namer.pre(k, r), namer.post(k, r)
        post = layer.post.astype(np.float64)
        autograd = layer.pre_grad[:, r].astype(np.float64)
        if act.name == "softmax":
            cols = range(tr.network.sizes[k])
            outs = [namer.post(k, i) for i in cols]
            names = [[f"∂loss/∂{o}", f"∂{o}/∂{node}"] for o in outs]
            forms = [
                [f"∂loss/∂{o}", F.softmax_jacobian_formula(o, out, i == r)]
                for i, o in enumerate(outs)
            ]
            values = [[d.d_post[k][:, i], F.softmax_jacobian(post, i, r)] for i in cols]
            return self._checked(
                index, node, names, forms, values, [f"via {o}" for o in outs], autograd, False
            )
        names = [[f"∂loss/∂{out}", f"∂{out}/∂{node}"]]
        forms = [[self._upstream_formula(k, r), F.act_derivative_formula(act, out, node)]]
        values = [
            [
                d.d_post[k][:, r],
                F.act_derivative(act, layer.pre[:, r : r + 1], post[:, r : r + 1])[:, 0],
            ]
        ]
        return self._checked(index, node, names, forms, values, [node], autograd, False)

    def _upstream_formula(self, k: int, r: int) -> str:
        """The formula of ∂loss/∂(post of neuron r in layer k): the loss's, or the name of a sum."""
        tr, namer = self.tr, self.tr.namer
        node = namer.post(k, r)
        if k < tr.network.depth:
            return f"∂loss/∂{node}"
        net = tr.network
        n = F.loss_count(net.loss, net.batch, net.sizes[-1])
        tname = namer.target(r) if net.loss.target_kind != "indices" else "t1"
        return self._loss_grad_formula(node, tname, r, n)

    def _loss_grad_formula(self, node: str, tname: str, r: int, n: int) -> str:
        """∂loss/∂(output r) as the loss's formula, written as torch computes it."""
        loss = self.tr.network.loss
        clamped = loss.name == "bce" and F.bce_clamped(self.tr.layers[-1].post[:, r])
        return F.loss_gradient_formula(loss, node, tname, r, n, self._probs_sum_one, clamped)

    def _param_step(self, index: int, k: int, r: int, c: int | None) -> Step:
        tr, namer, d = self.tr, self.tr.namer, self.derived
        layer, act = tr.layers[k - 1], tr.network.activations[k - 1]
        pre, out = namer.pre(k, r), namer.post(k, r)
        if c is None:
            node, local_form, param = namer.bias(k, r), "1", layer.bias
            local = np.ones(tr.network.batch)
        else:
            node, local_form, param = namer.weight(k, r, c), namer.layer_input(k, c), layer.weight
            local = (tr.inputs if k == 1 else tr.layers[k - 2].post)[:, c].astype(np.float64)
        assert param is not None
        autograd = np.float64(param.grad[(r, c) if c is not None else (r,)])
        post = layer.post.astype(np.float64)
        batch = tr.network.batch
        if act.name == "softmax":
            names1 = [f"∂loss/∂{pre}", f"∂{pre}/∂{node}"]
            forms1 = [f"∂loss/∂{pre}", local_form]
            cols = [d.d_pre[k][:, r], local]
        else:
            names1 = [f"∂loss/∂{out}", f"∂{out}/∂{pre}", f"∂{pre}/∂{node}"]
            forms1 = [
                self._upstream_formula(k, r),
                F.act_derivative_formula(act, out, pre),
                local_form,
            ]
            deriv = F.act_derivative(act, layer.pre[:, r : r + 1], post[:, r : r + 1])[:, 0]
            cols = [d.d_post[k][:, r], deriv, local]
        values = [[np.float64(col[b]) for col in cols] for b in range(batch)]
        labels = [f"sample {b + 1}" for b in range(batch)] if batch > 1 else [node]
        return self._checked(
            index, node, [names1] * batch, [forms1] * batch, values, labels, autograd, True
        )

    def _backward_dweight(self, index: int, k: int, pos: int) -> Step:
        r, c = divmod(pos, self.tr.network.sizes[k - 1])
        return self._param_step(index, k, r, c)

    def _backward_dbias(self, index: int, k: int, pos: int) -> Step:
        return self._param_step(index, k, pos, None)
