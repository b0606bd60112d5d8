"""Gradient health at a glance: vanishing, exploding, dead ReLU units, NaN/inf (pure).

Works on both kinds of trace: a module trace (:class:`~bptrace.model.modules.ModuleTrace`,
one flag per module call or parameter) and an MLP trace (:class:`~bptrace.model.trace.Trace`,
one flag per layer). The rules and their thresholds:

- **vanishing**: a weight (a parameter with 2 or more dimensions: Linear, Conv, Embedding
  weights) whose gradient is small against the weight itself,
  ``‖∂loss/∂W‖ / ‖W‖ < VANISHING_RATIO`` (1e-4): an SGD step with any usual learning rate
  would change it by less than a millionth. Weights that are all zero are not judged.
- **exploding**: ``‖∂loss/∂W‖ / ‖W‖ > EXPLODING_RATIO`` (10): one SGD step with lr 0.1
  would change the weight by more than its own size.
- **dead**: a ReLU (``nn.ReLU``, or a layer with a relu activation in an MLP) where at least
  ``DEAD_FRACTION`` (50%) of the units output exactly 0 for every sample (and position):
  their gradients are exactly 0, so they never learn.
- **nonfinite**: NaN or ±inf in an input, a module output, a parameter, or any gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from bptrace.i18n import _
from bptrace.model.modules import ModuleTrace, Stats
from bptrace.model.trace import Trace

VANISHING_RATIO = 1e-4
EXPLODING_RATIO = 10.0
DEAD_FRACTION = 0.5
KINDS = ("nonfinite", "exploding", "vanishing", "dead")
MARKS = {"nonfinite": "✗", "exploding": "▲", "vanishing": "▼", "dead": "○"}


@dataclass(frozen=True)
class Flag:
    """One health problem at one node.

    ``node`` is a call name (``block.relu#2``), a parameter name (``features.0.weight``),
    an input (``input``) or, for MLP traces, a layer (``layer 3``). ``module`` is the module
    path the node belongs to (``""`` for the model itself, None for inputs and MLP layers),
    ``layer`` the 1-based layer number in an MLP trace.
    """

    node: str
    kind: str  # one of KINDS
    message: str
    value: float
    threshold: float
    module: str | None = None
    layer: int | None = None

    @property
    def severity(self) -> str:
        return "error" if self.kind == "nonfinite" else "warning"

    @property
    def mark(self) -> str:
        """One character for the tree: ✗ NaN/inf, ▲ exploding, ▼ vanishing, ○ dead."""
        return MARKS[self.kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "value": _num(self.value),
            "threshold": self.threshold,
        }

    def line(self) -> str:
        """``▼ 0.weight: vanishing gradient: …`` (an MLP layer's node in the language shown)."""
        node = self.node if self.layer is None else _("layer {k}").format(k=self.layer)
        return _("{mark} {node}: {message}").format(mark=self.mark, node=node, message=self.message)


def check(tr: ModuleTrace | Trace) -> list[Flag]:
    """Every health flag of a trace, most severe kind first, then in model order."""
    flags = check_modules(tr) if isinstance(tr, ModuleTrace) else check_mlp(tr)
    return sorted(flags, key=lambda f: KINDS.index(f.kind))


# -- rules --------------------------------------------------------------------------------------
def ratio_flag(node: str, weight_norm: float, grad_norm: float, **where: Any) -> Flag | None:
    """The vanishing or exploding flag of one weight, or None when it looks healthy."""
    if not (math.isfinite(weight_norm) and math.isfinite(grad_norm)) or weight_norm == 0:
        return None
    ratio = grad_norm / weight_norm
    if ratio < VANISHING_RATIO:
        return Flag(
            node,
            "vanishing",
            _("vanishing gradient: ‖∂loss/∂W‖ / ‖W‖ = {ratio} < {threshold}").format(
                ratio=f"{ratio:.3g}", threshold=f"{VANISHING_RATIO:g}"
            ),
            ratio,
            VANISHING_RATIO,
            **where,
        )
    if ratio > EXPLODING_RATIO:
        return Flag(
            node,
            "exploding",
            _("exploding gradient: ‖∂loss/∂W‖ / ‖W‖ = {ratio} > {threshold}").format(
                ratio=f"{ratio:.3g}", threshold=f"{EXPLODING_RATIO:g}"
            ),
            ratio,
            EXPLODING_RATIO,
            **where,
        )
    return None


def dead_flag(node: str, dead: float, **where: Any) -> Flag | None:
    if dead < DEAD_FRACTION:
        return None
    return Flag(
        node,
        "dead",
        _("dead ReLU units: {percent} output 0 for every sample, so their gradients are 0").format(
            percent=f"{100 * dead:.0f}%"
        ),
        dead,
        DEAD_FRACTION,
        **where,
    )


def nonfinite_flag(node: str, what: dict[str, Stats | None], **where: Any) -> Flag | None:
    bad = [
        _("{what} has {nan} NaN and {inf} inf").format(what=label, nan=s.nan, inf=s.inf)
        for label, s in what.items()
        if s is not None and not s.finite
    ]
    if not bad:
        return None
    count = sum(s.nan + s.inf for s in what.values() if s is not None)
    return Flag(node, "nonfinite", _("; ").join(bad), float(count), 0.0, **where)


def check_modules(tr: ModuleTrace) -> list[Flag]:
    """Flags of a module trace: per input, module call and parameter."""
    flags: list[Flag | None] = []
    for k, pair in enumerate(tr.inputs):
        node = "input" if len(tr.inputs) == 1 else f"input{k + 1}"
        flags.append(
            nonfinite_flag(node, {_("value"): pair.value.stats, _("gradient"): _s(pair.grad)})
        )
    for c in tr.calls:
        where = {"module": c.path}
        for k, out in enumerate(c.outputs):
            one = len(c.outputs) == 1
            label = _("output") if one else _("output {k}").format(k=k + 1)
            grad = "∂loss/∂output" if one else f"∂loss/∂output {k + 1}"  # names: never translated
            flags.append(
                nonfinite_flag(c.name, {label: out.value.stats, grad: _s(out.grad)}, **where)
            )
        if c.dead is not None:
            flags.append(dead_flag(c.name, c.dead, **where))
    for p in tr.params:
        where = {"module": p.module}
        flags.append(
            nonfinite_flag(p.name, {_("value"): p.value.stats, _("gradient"): _s(p.grad)}, **where)
        )
        if p.grad is not None and p.trainable and len(p.value.shape) >= 2:
            flags.append(ratio_flag(p.name, p.value.stats.norm, p.grad.stats.norm, **where))
    return [f for f in flags if f is not None]


def check_mlp(tr: Trace) -> list[Flag]:
    """Flags of an MLP trace: one node per layer (``layer 1`` …), plus ``input``."""
    flags: list[Flag | None] = [
        nonfinite_flag(
            "input", {_("value"): _stats(tr.inputs), _("gradient"): _stats(tr.input_grad)}
        )
    ]
    for k, (layer, act) in enumerate(zip(tr.layers, tr.network.activations, strict=True), 1):
        node, where = f"layer {k}", {"layer": k}
        arrays = {
            _("weights"): layer.weight.value,
            _("weight gradients"): layer.weight.grad,
            _("pre-activations"): layer.pre,
            _("activations"): layer.post,
            "∂loss/∂activations": layer.post_grad,
        }
        if layer.bias is not None:
            arrays[_("biases")] = layer.bias.value
        flags.append(nonfinite_flag(node, {k2: _stats(v) for k2, v in arrays.items()}, **where))
        if layer.weight.trainable:
            w, g = layer.weight.value, layer.weight.grad
            flags.append(
                ratio_flag(node, float(np.linalg.norm(w)), float(np.linalg.norm(g)), **where)
            )
        if act.name == "relu" and layer.post.size:
            dead = float(np.mean(np.all(layer.post == 0, axis=0)))
            flags.append(dead_flag(node, dead, **where))
    return [f for f in flags if f is not None]


def _s(t: Any) -> Stats | None:
    return None if t is None else t.stats


def _stats(a: np.ndarray[Any, Any]) -> Stats:
    """Enough of :class:`Stats` for the NaN/inf rule on a plain array."""
    nan = int(np.isnan(a).sum())
    inf = int(np.isinf(a).sum())
    return Stats(int(a.size), math.nan, math.nan, math.nan, math.nan, math.nan, 0.0, nan, inf)


def _num(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
