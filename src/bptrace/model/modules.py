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

The parts live in :mod:`~bptrace.model.module_tensors` (tensors and their statistics),
:mod:`~bptrace.model.module_parts` (parameters, calls, modules, steps) and
:mod:`~bptrace.model.module_steps` (the steps' text); every name is re-exported here.

Steps are at module level: forward (module, input shapes → output shape, stats), backward
(‖∂loss/∂output‖ and ‖∂loss/∂parameter‖ of each of its parameters), update (``p ← p − lr·g``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.module_parts import (
    ROOT,
    ModelInfo,
    ModuleCall,
    ModuleNode,
    ModuleStep,
    ParamInfo,
    Parts,
)
from bptrace.model.module_steps import module_steps
from bptrace.model.module_tensors import (
    TENSOR_LIMIT,
    TOTAL_LIMIT,
    Array,
    Later,
    Pair,
    Shape,
    Stats,
    TensorInfo,
)
from bptrace.model.module_tensors import num as _num
from bptrace.model.module_tensors import to_float as _float

__all__ = [
    "ROOT",
    "TENSOR_LIMIT",
    "TOTAL_LIMIT",
    "Array",
    "Later",
    "ModelInfo",
    "ModuleCall",
    "ModuleNode",
    "ModuleStep",
    "ModuleTrace",
    "Pair",
    "ParamInfo",
    "Parts",
    "Shape",
    "Stats",
    "TensorInfo",
    "module_steps",
]


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
        self.refusal: str | None = None  # why the per-neuron trace refused it (not exported)
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
        raise BptraceError(
            _("unknown module call {name!r} (known: {names})").format(
                name=name, names=self.describe_names()
            )
        )

    def param(self, name: str) -> ParamInfo:
        if name in self._params:
            return self._params[name]
        raise BptraceError(
            _("unknown parameter {name!r} (known: {names})").format(
                name=name, names=self.describe_names()
            )
        )

    def module(self, path: str) -> ModuleNode:
        key = "" if path == ROOT else path
        if key in self._modules:
            return self._modules[key]
        raise BptraceError(
            _("unknown module {path!r} (known: {names})").format(
                path=path, names=self.describe_names()
            )
        )

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
        more = _(", … ({count} more)").format(count=len(names) - limit)
        return shown + (more if len(names) > limit else "")

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
            _dead = c.dead
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
            raise BptraceError(
                _("{source}: invalid trace at modules: the first must be the model").format(
                    source=source
                )
            )
        for m in self.modules:
            for name in m.calls:
                if name not in self._calls:
                    raise BptraceError(
                        _("{source}: invalid trace: unknown call {name!r}").format(
                            source=source, name=name
                        )
                    )
            for name in m.params:
                if name not in self._params:
                    raise BptraceError(
                        _("{source}: invalid trace: unknown parameter {name!r}").format(
                            source=source, name=name
                        )
                    )
        for c in self.calls:
            if c.path not in self._modules:
                raise BptraceError(
                    _("{source}: invalid trace: call of unknown module {path!r}").format(
                        source=source, path=c.path
                    )
                )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModuleTrace):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]
