"""Forward, backward and update steps derived from a Trace's per-layer arrays.

Backward steps are products (or, for a value with several consumers, sums of products) of
named local factors from :mod:`bptrace.model.formulas`, evaluated on torch's forward values;
each is checked against the gradient autograd computed. :class:`StepList` builds a step only
when it is indexed, so large models cost nothing until a step is wanted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from bptrace.model import formulas as F
from bptrace.model.fmt import Lazy, elide, fmt, fmt_signed
from bptrace.model.trace import Array, Scalar, per_sample

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

MAX_SAMPLES_SHOWN = 4


@dataclass(frozen=True)
class Factor:
    """One local derivative in a chain: its name (``∂o1/∂l3``), formula and value."""

    name: str
    formula: str
    value: Scalar
    term: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "name": self.name, "formula": self.formula, "value": self.value}


@dataclass(frozen=True)
class Term:
    """One product in a sum of products (one path, or one sample of a batch)."""

    label: str
    value: Scalar

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value}


@dataclass(frozen=True)
class Step:
    """One step of the lesson: a value computed forward, a gradient backward, or an update."""

    index: int
    phase: str
    node: str
    formula: str
    substituted: str
    value: Scalar
    factors: tuple[Factor, ...] = ()
    terms: tuple[Term, ...] = ()
    autograd: Scalar | None = None
    agrees: bool | None = None
    chain: str = ""  # backward: the product of named factors, ``∂loss/∂o1 · ∂o1/∂l3 · ∂l3/∂w5``
    symbolic: str = ""  # backward: the same product as formulas, ``(o1 − t1) · o1(1 − o1) · h1``

    @property
    def target(self) -> str:
        """What the step computes: ``l1``, ``∂loss/∂w5`` or ``w5 (updated)``."""
        if self.phase == "backward":
            return f"∂loss/∂{self.node}"
        return f"{self.node} (updated)" if self.phase == "update" else self.node

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "phase": self.phase,
            "node": self.node,
            "formula": self.formula,
            "substituted": self.substituted,
            "value": self.value,
        }
        if self.phase == "backward":
            out["factors"] = [f.to_dict() for f in self.factors]
            out["terms"] = [t.to_dict() for t in self.terms]
            out["autograd"] = self.autograd
            out["agrees"] = self.agrees
        return out


def _wrap(formula: str) -> str:
    """Parenthesise a formula with a top-level + or − so it can stand inside a product."""
    depth = 0
    for i, ch in enumerate(formula):
        depth += ch in "(["
        depth -= ch in ")]"
        if depth == 0 and formula[i : i + 3] in (" + ", " − ", " if"):
            return f"({formula})"
    return formula


def _per_sample_text(parts: Sequence[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    shown = [f"[{n + 1}] {p}" for n, p in enumerate(parts[:MAX_SAMPLES_SHOWN])]
    if len(parts) > MAX_SAMPLES_SHOWN:
        shown.append(f"… ({len(parts) - MAX_SAMPLES_SHOWN} more samples)")
    return "; ".join(shown)


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


class StepList(Sequence[Step]):
    """The steps of a trace, in order; each built on first access and kept."""

    def __init__(self, tr: Trace):
        self.tr = tr
        self.rtol = 1e-9 if tr.network.dtype == "float64" else 1e-5
        # torch's own rounding survives cancellations upstream (softmax rows sum to 1 only to
        # within eps), so a gradient that should be 0 may be eps-sized: allow 32 eps × max |∂loss/∂·|.
        eps = float(np.finfo(np.float64 if tr.network.dtype == "float64" else np.float32).eps)
        big = max(
            float(np.abs(a).max(initial=0.0))
            for ly in tr.layers
            for a in (ly.pre_grad, ly.post_grad)
        )
        self.atol = 32 * eps * big
        net = tr.network
        sizes, depth = net.sizes, net.depth
        plan: list[tuple[str, str, int, int]] = []
        for k in range(1, depth + 1):
            plan += [("forward", "pre", k, sizes[k]), ("forward", "post", k, sizes[k])]
        plan.append(("forward", "loss", 0, 1))
        plan.append(("backward", "dpost", depth, sizes[depth]))
        for k in range(depth, 0, -1):
            plan.append(("backward", "dpre", k, sizes[k]))
            plan.append(("backward", "dweight", k, sizes[k] * sizes[k - 1]))
            if tr.layers[k - 1].bias is not None:
                plan.append(("backward", "dbias", k, sizes[k]))
            plan.append(("backward", "dpost" if k > 1 else "dinput", k - 1, sizes[k - 1]))
        if net.lr is not None:
            for k in range(1, depth + 1):
                layer = tr.layers[k - 1]
                if layer.weight.trainable:
                    plan.append(("update", "weight", k, sizes[k] * sizes[k - 1]))
                if layer.bias is not None and layer.bias.trainable:
                    plan.append(("update", "bias", k, sizes[k]))
        self.plan = [p for p in plan if p[3] > 0]
        self.offsets = list(np.cumsum([0] + [p[3] for p in self.plan]))
        self._cache: dict[int, Step] = {}

    @cached_property
    def derived(self) -> Derived:
        return Derived(self.tr)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> list[Step]: ...
    def __getitem__(self, index: int | slice) -> Step | list[Step]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._cache:
            self._cache[index] = self._build(index)
        return self._cache[index]

    def __iter__(self) -> Iterator[Step]:
        return (self[i] for i in range(len(self)))

    def phase_start(self, phase: str) -> int | None:
        """Index of the first step of ``phase``, or None if there is none."""
        for section, start in zip(self.plan, self.offsets, strict=False):
            if section[0] == phase:
                return int(start)
        return None

    def index_of(self, node: str, phase: str | None = None) -> int | None:
        """Index of the step that computes ``node`` (its first one, or the one in ``phase``)."""
        ref = self.tr.namer.resolve(node)
        if ref is None:
            return None
        kinds = {
            "l": ("pre", "dpre"),
            "h": ("post", "dpost"),
            "o": ("post", "dpost"),
            "w": ("dweight", "weight"),
            "b": ("dbias", "bias"),
            "i": ("dinput",),
            "loss": ("loss",),
        }.get(ref.letter, ())
        pos = (
            ref.row * self.tr.network.sizes[ref.layer - 1] + ref.col
            if ref.letter == "w"
            else ref.row
        )
        for (ph, kind, layer, _), start in zip(self.plan, self.offsets, strict=False):
            if (phase is None or ph == phase) and kind in kinds and layer == ref.layer:
                return int(start) + pos
        return None

    # -- building one step ------------------------------------------------------------------
    def _build(self, index: int) -> Step:
        section = int(np.searchsorted(self.offsets, index, side="right")) - 1
        phase, kind, layer, _ = self.plan[section]
        pos = index - int(self.offsets[section])
        builder = getattr(self, f"_{phase}_{kind}")
        step: Step = builder(index, layer, pos)
        return step

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
        term_values = [
            np.prod([np.broadcast_to(v, shape) for v in vals], axis=0) for vals in values
        ]
        total = np.sum(np.stack(term_values), axis=0)
        scale = np.maximum(np.abs(autograd), np.sum(np.abs(np.stack(term_values)), axis=0))
        agrees = bool(np.all(np.abs(total - autograd) <= self.rtol * scale + self.atol + 1e-300))
        lhs = f"∂loss/∂{node}"
        sum_prefix = "Σₙ " if per_param and len(values) > 1 else ""
        if per_param and len(values) > 1:
            chain = sum_prefix + " · ".join(names[0])
            symbolic = sum_prefix + " · ".join(_wrap(f) for f in forms[0])
        else:
            chain = elide([" · ".join(n) for n in names], " + ")
            symbolic = elide([" · ".join(_wrap(f) for f in fs) for fs in forms], " + ")
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

            substituted = _per_sample_text(Lazy(batch, sample))
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
        )

    # forward ------------------------------------------------------------------------------
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
            _per_sample_text(Lazy(inputs.shape[0], sample)),
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
            index, "forward", node, formula, _per_sample_text(parts), per_sample(layer.post[:, r])
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

    # backward -----------------------------------------------------------------------------
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
        form = F.loss_gradient_formula(net.loss, node, tname, r, n, self._probs_sum_one)
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
        return F.loss_gradient_formula(net.loss, node, tname, r, n, self._probs_sum_one)

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

    # update -------------------------------------------------------------------------------
    def _update(self, index: int, node: str, value: float, grad: float, updated: float) -> Step:
        lr = float(self.tr.network.lr or 0.0)
        return Step(
            index,
            "update",
            node,
            f"{node} ← {node} − lr·∂loss/∂{node}",
            f"{fmt(value)} − {lr:g} × {fmt_signed(grad)}",
            updated,
        )

    def _update_weight(self, index: int, k: int, pos: int) -> Step:
        r, c = divmod(pos, self.tr.network.sizes[k - 1])
        w = self.tr.layers[k - 1].weight
        assert w.updated is not None
        return self._update(
            index,
            self.tr.namer.weight(k, r, c),
            float(w.value[r, c]),
            float(w.grad[r, c]),
            float(w.updated[r, c]),
        )

    def _update_bias(self, index: int, k: int, r: int) -> Step:
        b = self.tr.layers[k - 1].bias
        assert b is not None and b.updated is not None
        return self._update(
            index,
            self.tr.namer.bias(k, r),
            float(b.value[r]),
            float(b.grad[r]),
            float(b.updated[r]),
        )
