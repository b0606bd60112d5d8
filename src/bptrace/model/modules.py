"""The trace of any ``nn.Module`` model, per module call: pure result types (no torch).

A :class:`ModuleTrace` records one forward and one backward pass of a model that is not a
plain MLP (conv, pooling, normalisation, dropout, embeddings, residual blocks, ...):

- one :class:`ModuleCall` per call of every module (containers included), named by the
  module path (``features.0``; the whole model is ``(model)``); a module called a second
  time gets a call index: ``block.relu#2``;
- for each output tensor of a call, its shape, dtype and :class:`Stats` (mean, std, min,
  max, norm, fraction of exact zeros, NaN and inf counts), and the same of ∂loss/∂output;
- one :class:`ParamInfo` per parameter with its value and ∂loss/∂parameter (summed over
  every call of its module), and its value after one SGD step when an lr is given.

Full tensors are kept (``TensorInfo.data``, flat, row-major) only for tensors of at most
:data:`TENSOR_LIMIT` elements, and only while the trace holds at most :data:`TOTAL_LIMIT`
elements in all; beyond that, only shape, dtype and statistics are kept.

A tracer may defer the statistics (and the kept elements) until first read, and the
trace's parts (inputs, targets, modules, calls, params) until first read too: see
:class:`TensorInfo`, :meth:`ModuleTrace.deferred` and :meth:`ModuleTrace.settle`. Nothing
else differs.

Steps are at module level: forward (module, input shapes → output shape, stats), backward
(‖∂loss/∂output‖ and ‖∂loss/∂parameter‖ of each of its parameters), update (``p ← p − lr·g``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from bptrace.model.errors import BptraceError
from bptrace.model.fmt import fmt

TENSOR_LIMIT = 65_536  # elements: a tensor this size or smaller is kept in full for export
TOTAL_LIMIT = 4_000_000  # elements kept in full across one trace; beyond it, stats only
ROOT = "(model)"  # the name of the whole model's call

Array = NDArray[np.float64]
Shape = tuple[int, ...]


@dataclass(frozen=True)
class Stats:
    """Summary statistics of one tensor, as torch computes them.

    ``std`` is the population standard deviation (``torch.std(correction=0)``), ``norm`` the
    Euclidean norm of all elements (``torch.linalg.vector_norm``), ``zeros`` the fraction of
    elements exactly equal to 0. NaN or inf anywhere makes the moments NaN/inf; ``nan`` and
    ``inf`` count them.
    """

    count: int
    mean: float
    std: float
    min: float
    max: float
    norm: float
    zeros: float
    nan: int = 0
    inf: int = 0

    @property
    def finite(self) -> bool:
        return self.nan == 0 and self.inf == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": _num(self.mean),
            "std": _num(self.std),
            "min": _num(self.min),
            "max": _num(self.max),
            "norm": _num(self.norm),
            "zeros": _num(self.zeros),
            "nan": self.nan,
            "inf": self.inf,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stats:
        return cls(
            int(d["count"]),
            _float(d["mean"]),
            _float(d["std"]),
            _float(d["min"]),
            _float(d["max"]),
            _float(d["norm"]),
            _float(d["zeros"]),
            int(d["nan"]),
            int(d["inf"]),
        )

    def short(self) -> str:
        """``mean 0.1 std 0.2 min … max … ‖·‖ … zeros 0%`` for a line of text."""
        text = (
            f"mean {fmt(self.mean)}  std {fmt(self.std)}  min {fmt(self.min)}  "
            f"max {fmt(self.max)}  ‖·‖ {fmt(self.norm)}  zeros {100 * self.zeros:.1f}%"
        )
        if not self.finite:
            text += f"  NaN {self.nan}  inf {self.inf}"
        return text


Later = Callable[[], tuple[Stats, Array | None]]


class TensorInfo:
    """One tensor: shape, dtype, statistics, and its elements (flat) when small enough.

    A tracer may give ``later`` instead of ``stats`` and ``data``: a function that computes
    both, called the first time either is read (or by :meth:`settle`), then dropped with
    whatever it holds. Reading ``stats`` or ``data`` is the same either way.
    """

    __slots__ = ("_data", "_later", "_stats", "dtype", "shape")

    def __init__(
        self,
        shape: Shape,
        dtype: str,
        stats: Stats | None = None,
        data: Array | None = None,
        *,
        later: Later | None = None,
    ) -> None:
        if (stats is None) == (later is None):
            raise TypeError("TensorInfo needs either stats or later")
        self.shape = shape
        self.dtype = dtype
        self._stats = stats
        self._data = data
        self._later = later

    @property
    def stats(self) -> Stats:
        if self._later is not None:
            self.settle()
        assert self._stats is not None
        return self._stats

    @property
    def data(self) -> Array | None:
        if self._later is not None:
            self.settle()
        return self._data

    @property
    def settled(self) -> bool:
        """Whether the statistics are computed (always, unless a tracer deferred them)."""
        return self._later is None

    def settle(self) -> None:
        """Compute the deferred statistics and elements now (nothing if already done)."""
        later = self._later
        if later is not None:
            self._stats, self._data = later()
            self._later = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TensorInfo):
            return NotImplemented
        a, b = self.data, other.data
        same_data = (a is None and b is None) or (
            a is not None and b is not None and bool(np.array_equal(a, b, equal_nan=True))
        )
        return (self.shape, self.dtype, self.stats) == (other.shape, other.dtype, other.stats) and (
            same_data
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        stats = repr(self._stats) if self.settled else "(not computed yet)"
        return f"TensorInfo(shape={self.shape!r}, dtype={self.dtype!r}, stats={stats})"

    def array(self) -> Array | None:
        """The elements in their shape, or None when the tensor was too large to keep."""
        data = self.data
        return None if data is None else data.reshape(self.shape)

    def to_dict(self) -> dict[str, Any]:
        data = self.data
        return {
            "shape": list(self.shape),
            "dtype": self.dtype,
            "stats": self.stats.to_dict(),
            "data": None if data is None else [_num(float(v)) for v in data],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str, where: str) -> TensorInfo:
        shape = tuple(int(s) for s in d["shape"])
        data = None
        if d["data"] is not None:
            data = np.array([_float(v) for v in d["data"]], dtype=np.float64)
            if data.size != math.prod(shape):
                raise BptraceError(
                    f"{source}: invalid trace at {where}: {data.size} elements for shape {list(shape)}"
                )
        return cls(shape, d["dtype"], Stats.from_dict(d["stats"]), data)


@dataclass
class Pair:
    """A tensor and ∂loss/∂tensor (None when no gradient flows to it)."""

    value: TensorInfo
    grad: TensorInfo | None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value.to_dict(), "grad": _opt(self.grad)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str, where: str) -> Pair:
        grad = None if d["grad"] is None else TensorInfo.from_dict(d["grad"], source, where)
        return cls(TensorInfo.from_dict(d["value"], source, where), grad)


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


class ModuleTrace:
    """Everything one forward and one backward pass computed, per module call.

    A tracer may hand over a function that builds the :class:`Parts` (inputs, targets,
    modules, calls, params) from what it recorded, instead of the parts themselves
    (:meth:`deferred`): they are built the first time any of them is read.
    """

    def __init__(
        self,
        model: ModelInfo,
        inputs: list[Pair],
        targets: list[TensorInfo],
        loss: float,
        modules: list[ModuleNode],
        calls: list[ModuleCall],
        params: list[ParamInfo],
        warnings: list[str] | None = None,
    ) -> None:
        self.model = model
        self.loss = loss
        self.warnings: list[str] = list(warnings or [])
        self._parts: Parts | None = Parts(inputs, targets, modules, calls, params)
        self._build: Callable[[], Parts] | None = None

    @classmethod
    def deferred(
        cls, model: ModelInfo, loss: float, warnings: list[str], build: Callable[[], Parts]
    ) -> ModuleTrace:
        """A trace whose parts ``build()`` makes when first read."""
        tr = cls(model, [], [], loss, [], [], [], warnings)
        tr._parts, tr._build = None, build
        return tr

    @property
    def parts(self) -> Parts:
        if self._parts is None:
            assert self._build is not None
            self._parts = self._build()
            self._build = None
        return self._parts

    @property
    def inputs(self) -> list[Pair]:
        return self.parts.inputs

    @property
    def targets(self) -> list[TensorInfo]:
        return self.parts.targets

    @property
    def modules(self) -> list[ModuleNode]:
        return self.parts.modules

    @property
    def calls(self) -> list[ModuleCall]:
        return self.parts.calls

    @property
    def params(self) -> list[ParamInfo]:
        return self.parts.params

    def __repr__(self) -> str:
        return (
            f"ModuleTrace(model={self.model!r}, loss={self.loss!r}, "
            f"{len(self.calls)} calls, {len(self.params)} params)"
        )

    # -- lookup -------------------------------------------------------------------------------
    @cached_property
    def _calls(self) -> dict[str, ModuleCall]:
        return {c.name: c for c in self.calls}

    @cached_property
    def _params(self) -> dict[str, ParamInfo]:
        return {p.name: p for p in self.params}

    @cached_property
    def _modules(self) -> dict[str, ModuleNode]:
        return {m.path: m for m in self.modules}

    def call(self, name: str) -> ModuleCall:
        """A call by name: ``features.0``, ``block.relu#2``, ``(model)``."""
        if name in self._calls:
            return self._calls[name]
        raise BptraceError(f"unknown module call {name!r} (known: {self.describe_names()})")

    def param(self, name: str) -> ParamInfo:
        if name in self._params:
            return self._params[name]
        raise BptraceError(f"unknown parameter {name!r} (known: {self.describe_names()})")

    def module(self, path: str) -> ModuleNode:
        key = "" if path == ROOT else path
        if key in self._modules:
            return self._modules[key]
        raise BptraceError(f"unknown module {path!r} (known: {self.describe_names()})")

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (
            name in self._calls or name in self._params or name in self._modules
        )

    def names(self) -> Iterator[str]:
        """Every call name, then every parameter name."""
        yield from self._calls
        yield from self._params

    def describe_names(self, limit: int = 8) -> str:
        names = list(self.names())
        shown = ", ".join(names[:limit])
        return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")

    def params_of(self, path: str) -> list[ParamInfo]:
        """The parameters a module owns directly (not those of its children)."""
        return [p for p in self.params if p.module == path]

    @property
    def root(self) -> ModuleNode:
        return self.modules[0]

    def settle(self) -> ModuleTrace:
        """Compute every deferred statistic now (export, health and the app do it on use)."""
        for t in self._tensor_infos():
            t.settle()
        for c in self.calls:
            _ = c.dead
        return self

    def _tensor_infos(self) -> Iterator[TensorInfo]:
        for pair in self.inputs:
            yield pair.value
            if pair.grad is not None:
                yield pair.grad
        yield from self.targets
        for c in self.calls:
            for pair in c.outputs:
                yield pair.value
                if pair.grad is not None:
                    yield pair.grad
        for p in self.params:
            yield p.value
            for t in (p.grad, p.updated):
                if t is not None:
                    yield t

    # -- steps and export ----------------------------------------------------------------------
    @cached_property
    def steps(self) -> list[ModuleStep]:
        """Forward steps (call order), backward steps (reverse order), update steps (if lr)."""
        return module_steps(self)

    def to_dict(self, detail: str = "auto") -> dict[str, Any]:
        """Exactly the JSON export (see ``schema.json``, ``$defs/module_trace``)."""
        from bptrace.model.health import check

        return {
            "format": "bptrace.trace",
            "version": 1,
            "kind": "modules",
            "model": self.model.to_dict(),
            "limits": {"tensor_elements": TENSOR_LIMIT, "total_elements": TOTAL_LIMIT},
            "input": [p.to_dict() for p in self.inputs],
            "target": [t.to_dict() for t in self.targets],
            "loss": _num(self.loss),
            "modules": [m.to_dict() for m in self.modules],
            "calls": [c.to_dict() for c in self.calls],
            "params": [p.to_dict() for p in self.params],
            "steps": [s.to_dict() for s in self.steps],
            "health": [f.to_dict() for f in check(self)],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any], source: str = "trace") -> ModuleTrace:
        """Rebuild from an export document already validated against the schema."""
        tr = cls(
            ModelInfo.from_dict(doc["model"]),
            [Pair.from_dict(p, source, "input") for p in doc["input"]],
            [TensorInfo.from_dict(t, source, "target") for t in doc["target"]],
            _float(doc["loss"]),
            [ModuleNode.from_dict(m) for m in doc["modules"]],
            [ModuleCall.from_dict(c, source) for c in doc["calls"]],
            [ParamInfo.from_dict(p, source) for p in doc["params"]],
            list(doc["warnings"]),
        )
        tr.check_consistent(source)
        return tr

    def check_consistent(self, source: str) -> None:
        """Cross-references the schema cannot express: names point at things that exist."""
        if not self.modules or self.modules[0].path != "":
            raise BptraceError(f"{source}: invalid trace at modules: the first must be the model")
        for m in self.modules:
            for name in m.calls:
                if name not in self._calls:
                    raise BptraceError(f"{source}: invalid trace: unknown call {name!r}")
            for name in m.params:
                if name not in self._params:
                    raise BptraceError(f"{source}: invalid trace: unknown parameter {name!r}")
        for c in self.calls:
            if c.path not in self._modules:
                raise BptraceError(f"{source}: invalid trace: call of unknown module {c.path!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleTrace):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def module_steps(tr: ModuleTrace) -> list[ModuleStep]:
    """Forward, backward and update steps of a module trace."""
    steps: list[ModuleStep] = []

    def add(phase: str, node: str, text: str, value: float, norms: Any = ()) -> None:
        steps.append(ModuleStep(len(steps), phase, node, text, value, tuple(norms)))

    for c in tr.calls:
        out = c.output
        ins = ", ".join(_shape(s) for s in c.inputs) or "()"
        outs = ", ".join(_shape(p.value.shape) for p in c.outputs) or "()"
        stats = out.value.stats.short() if out else ""
        add(
            "forward",
            c.name,
            f"{c.name} = {c.type}({ins}) → {outs}   {stats}",
            out.value.stats.norm if out else math.nan,
            (),
        )
    first_call = {m.path: m.calls[0] for m in tr.modules if m.calls}
    for c in reversed(tr.calls):
        out = c.output
        g = out.grad if out else None
        norms = []
        if first_call.get(c.path) == c.name:  # parameter grads are complete after the first call
            norms = [(p.name, p.grad.stats.norm) for p in tr.params_of(c.path) if p.grad]
        parts = [f"‖∂loss/∂{c.name}‖ = {fmt(g.stats.norm) if g else 'none (no gradient)'}"]
        parts += [f"‖∂loss/∂{n}‖ = {fmt(v)}" for n, v in norms]
        add("backward", c.name, "   ".join(parts), g.stats.norm if g else math.nan, norms)
    lr = tr.model.lr
    if lr is not None:
        for p in tr.params:
            if p.updated is None or p.grad is None or not p.trainable:
                continue
            add(
                "update",
                p.name,
                f"{p.name} ← {p.name} − {fmt(lr)} · ∂loss/∂{p.name}   "
                f"‖step‖ = {fmt(lr * p.grad.stats.norm)}   ‖{p.name}‖ = {fmt(p.updated.stats.norm)}",
                p.updated.stats.norm,
                [(p.name, lr * p.grad.stats.norm)],
            )
    return steps


def _shape(s: Shape) -> str:
    return "(" + ", ".join(str(d) for d in s) + ")"


def _num(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _float(x: float | str) -> float:
    if isinstance(x, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[x]
    return float(x)


def _opt(t: TensorInfo | None) -> dict[str, Any] | None:
    return None if t is None else t.to_dict()
