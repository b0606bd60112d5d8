"""The parts of a module trace besides its tensors: parameters, calls, the module tree, steps.

Pure result types (no torch), with their JSON form: :class:`ParamInfo`, :class:`ModuleCall`,
:class:`ModuleNode`, :class:`ModelInfo`, :class:`ModuleStep`, and :class:`Parts` (what a
:class:`~bptrace.model.modules.ModuleTrace` holds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from bptrace.model.module_tensors import Pair, Shape, TensorInfo
from bptrace.model.module_tensors import num as _num
from bptrace.model.module_tensors import opt_dict as _opt
from bptrace.model.module_tensors import to_float as _float

ROOT = "(model)"  # the name of the whole model's call


@dataclass
class ParamInfo:
    """One parameter (``features.0.weight``): value, gradient, value after one SGD step."""

    name: str
    module: str  # the owning module's path ("" for the model itself)
    value: TensorInfo
    grad: TensorInfo | None
    trainable: bool
    updated: TensorInfo | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "trainable": self.trainable,
            "value": self.value.to_dict(),
            "grad": _opt(self.grad),
            "updated": _opt(self.updated),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str) -> ParamInfo:
        where = f"params/{d['name']}"

        def opt(x: dict[str, Any] | None) -> TensorInfo | None:
            return None if x is None else TensorInfo.from_dict(x, source, where)

        return cls(
            d["name"],
            d["module"],
            TensorInfo.from_dict(d["value"], source, where),
            opt(d["grad"]),
            d["trainable"],
            opt(d["updated"]),
        )


@dataclass
class ModuleCall:
    """One call of one module: its input shapes, and each output with its gradient.

    ``dead`` is, for ReLU-type modules, the fraction of units (features along dimension 1,
    or the last dimension of a 1-D output) that are exactly 0 for every sample and position.
    """

    name: str  # "block.relu", or "block.relu#2" for its second call
    path: str  # the module path ("" for the model itself)
    index: int  # 1 for the first call of this module, 2 for the second, ...
    type: str  # the module's class name
    inputs: list[Shape]
    outputs: list[Pair]
    # the dead fraction, or a function computing it the first time ``dead`` is read
    dead_: float | None | Callable[[], float | None] = field(default=None, repr=False)

    @property
    def dead(self) -> float | None:
        if callable(self.dead_):
            self.dead_ = self.dead_()
        return self.dead_

    @property
    def output(self) -> Pair | None:
        """The first output (most modules have exactly one)."""
        return self.outputs[0] if self.outputs else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": self.path,
            "index": self.index,
            "type": self.type,
            "inputs": [list(s) for s in self.inputs],
            "outputs": [p.to_dict() for p in self.outputs],
            "dead": None if self.dead is None else _num(self.dead),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str) -> ModuleCall:
        where = f"calls/{d['name']}"
        dead = None if d["dead"] is None else _float(d["dead"])
        return cls(
            d["name"],
            d["path"],
            d["index"],
            d["type"],
            [tuple(s) for s in d["inputs"]],
            [Pair.from_dict(p, source, where) for p in d["outputs"]],
            dead,
        )


@dataclass
class ModuleNode:
    """One module in the model's hierarchy (the tree the app shows)."""

    path: str
    type: str
    children: list[str] = field(default_factory=list)  # child paths, in definition order
    params: list[str] = field(default_factory=list)  # its own parameters' full names
    calls: list[str] = field(default_factory=list)  # names of its calls, in order

    @property
    def name(self) -> str:
        """The display name: the path, or ``(model)`` for the root."""
        return self.path or ROOT

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "type": self.type,
            "children": list(self.children),
            "params": list(self.params),
            "calls": list(self.calls),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModuleNode:
        return cls(d["path"], d["type"], list(d["children"]), list(d["params"]), list(d["calls"]))


@dataclass(frozen=True)
class ModelInfo:
    """What the traced model is, apart from its numbers."""

    name: str | None
    type: str  # the model's class name
    loss: str  # the loss function's class or function name
    dtype: str
    lr: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "loss": self.loss,
            "dtype": self.dtype,
            "lr": self.lr,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ModelInfo:
        return cls(d["name"], d["type"], d["loss"], d["dtype"], d["lr"])


@dataclass(frozen=True)
class ModuleStep:
    """One module-level step: forward, backward or update.

    ``value`` is the number the step produces: the output's norm (forward), ‖∂loss/∂output‖
    (backward) or the updated parameter's norm (update). ``norms`` lists the gradient norms
    of the module's parameters (backward) or ‖lr·g‖ (update).
    """

    index: int
    phase: str
    node: str
    text: str
    value: float
    norms: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "phase": self.phase,
            "node": self.node,
            "text": self.text,
            "value": _num(self.value),
            "norms": {k: _num(v) for k, v in self.norms},
        }


class Parts(NamedTuple):
    """What a module trace holds besides the model's description, loss and warnings."""

    inputs: list[Pair]
    targets: list[TensorInfo]
    modules: list[ModuleNode]  # the hierarchy, root first, in named_modules order
    calls: list[ModuleCall]  # in the order the calls finished (forward order)
    params: list[ParamInfo]
