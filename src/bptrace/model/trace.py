"""The Trace: per-layer arrays captured from torch, with per-scalar nodes and steps on demand.

A Trace stores one array per layer and quantity (weights, biases, pre-activations,
activations, and the gradient of each). Named scalars (``tr["w5"]``) and the step list are
derived from the arrays only when asked, so a model with a million weights costs no million
Python objects until someone wants them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.names import Namer, Ref
from bptrace.model.network import NetworkInfo

if TYPE_CHECKING:
    from bptrace.model.steps import StepList

Array = NDArray[np.float64]
Scalar = float | list[float]
SCALAR_LIMIT = 10_000  # per-scalar nodes and steps are exported up to this many scalars


@dataclass
class Param:
    """A weight matrix or bias vector: value, gradient, and the value after one SGD step."""

    value: Array
    grad: Array
    trainable: bool = True
    updated: Array | None = None


@dataclass
class Layer:
    """One Linear layer and the activation after it; ``pre``/``post`` are batch × out."""

    weight: Param
    bias: Param | None
    pre: Array
    pre_grad: Array
    post: Array
    post_grad: Array


MAX_EPOCHS = 1_000_000  # --epochs, the training screen's N and train(): the loss curve's length


@dataclass
class Training:
    """The result of ``--epochs N``: the loss before each SGD step and after the last."""

    epochs: int
    lr: float
    loss: list[float]
    weights: list[Array]
    biases: list[Array | None]
    output: Array


@dataclass(frozen=True)
class Node:
    """One named scalar quantity: its value and gradient (per-sample lists in a batch)."""

    name: str
    kind: str
    value: Scalar
    grad: Scalar | None
    updated: float | None = None
    trainable: bool | None = None


KINDS = {
    "i": "input",
    "t": "target",
    "w": "weight",
    "b": "bias",
    "l": "pre_activation",
    "h": "hidden",
    "o": "output",
    "loss": "loss",
}


def per_sample(column: Array) -> Scalar:
    """One sample → a float; several → a list of floats."""
    values: list[float] = column.astype(float, copy=False).tolist()
    return values[0] if len(values) == 1 else values


@dataclass
class Trace:
    """Everything one forward and one backward pass computed, per layer."""

    network: NetworkInfo
    inputs: Array
    input_grad_: Array | Callable[[], Array]  # ∂loss/∂inputs, or how to compute it when read
    targets: Array
    loss: float
    layers: list[Layer]
    training: Training | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def input_grad(self) -> Array:
        """∂loss/∂inputs (batch × inputs); a tracer may compute it on first read."""
        if callable(self.input_grad_):
            self.input_grad_ = self.input_grad_()
        return self.input_grad_

    # -- names ------------------------------------------------------------------------------
    @cached_property
    def namer(self) -> Namer:
        width = self.targets.shape[1] if self.network.loss.target_kind != "indices" else 1
        return Namer(self.network.sizes, self.network.has_bias, width)

    def names(self) -> Iterator[str]:
        """Every scalar name in forward order."""
        return self.namer.names()

    def scalar_count(self) -> int:
        """How many scalar numbers the per-scalar view would hold."""
        sizes, batch = self.network.sizes, self.network.batch
        total = batch * (sizes[0] + self.targets.shape[1]) + 1
        for k, layer in enumerate(self.layers, start=1):
            total += (
                sizes[k] * sizes[k - 1] + (sizes[k] if layer.bias else 0) + 2 * batch * sizes[k]
            )
        return int(total)

    @property
    def small(self) -> bool:
        return self.scalar_count() <= SCALAR_LIMIT

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.namer.resolve(name) is not None

    def __getitem__(self, name: str) -> Node:
        ref = self.namer.resolve(name)
        if ref is None:
            raise BptraceError(
                _("unknown name {name!r} (this network has {names})").format(
                    name=name, names=self.describe_names()
                )
            )

        return self._node(name, ref)

    def describe_names(self) -> str:
        s, nb = self.network.sizes, sum(self.network.sizes[1:])
        nw = sum(s[k] * s[k - 1] for k in range(1, len(s)))
        hidden = nb - s[-1]
        spans: list[list[int]] = []  # b_k exists only where layer k's neurons have a bias
        end = 0
        for width, has in zip(s[1:], self.network.has_bias, strict=True):
            if has and spans and spans[-1][1] == end:
                spans[-1][1] = end + width
            elif has:
                spans.append([end + 1, end + width])
            end += width
        biases = [f"b{a}..b{b}" for a, b in spans]
        parts = [f"i1..i{s[0]}", f"w1..w{nw}", *biases, f"l1..l{nb}"]
        if hidden:
            parts.append(f"h1..h{hidden}")
        parts += [f"o1..o{s[-1]}", "loss"]
        return ", ".join(parts)

    def _node(self, name: str, ref: Ref) -> Node:
        kind = KINDS[ref.letter]
        if ref.letter == "loss":
            return Node(name, kind, self.loss, 1.0)
        if ref.letter == "i":
            return Node(
                name,
                kind,
                per_sample(self.inputs[:, ref.row]),
                per_sample(self.input_grad[:, ref.row]),
            )
        if ref.letter == "t":
            return Node(name, kind, per_sample(self.targets[:, ref.row]), None)
        layer = self.layers[ref.layer - 1]
        if ref.letter == "l":
            return Node(
                name,
                kind,
                per_sample(layer.pre[:, ref.row]),
                per_sample(layer.pre_grad[:, ref.row]),
            )
        if ref.letter in "ho":
            return Node(
                name,
                kind,
                per_sample(layer.post[:, ref.row]),
                per_sample(layer.post_grad[:, ref.row]),
            )
        param = layer.weight if ref.letter == "w" else layer.bias
        assert param is not None
        index = (ref.row, ref.col) if ref.letter == "w" else (ref.row,)
        updated = None if param.updated is None else float(param.updated[index])
        return Node(
            name,
            kind,
            float(param.value[index]),
            float(param.grad[index]),
            updated,
            param.trainable,
        )

    # -- steps and export -------------------------------------------------------------------
    @cached_property
    def steps(self) -> StepList:
        """Forward, backward and update steps, each built when first indexed."""
        from bptrace.model.steps import StepList

        return StepList(self)

    def to_dict(self, detail: str = "auto") -> dict[str, Any]:
        """Exactly the JSON export (see DESIGN.md and ``schema.json``)."""
        from bptrace.model.jsonio import trace_to_dict

        return trace_to_dict(self, detail)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return self.to_dict("tensors") == other.to_dict("tensors")

    __hash__ = None  # type: ignore[assignment]
