"""Turn what one recorded pass kept into a module trace's parts, when they are first read.

:class:`Recorded` holds only private tensors (copies of the inputs, targets and parameters;
the outputs and gradients the pass made) and a snapshot of the model's structure, so the
parts built from it later are what they would have been right after the pass, whatever the
caller does to the model and its tensors in between.

Full elements are kept within the limits of :mod:`bptrace.model.modules`, handed out in a
fixed order (outputs in forward order, inputs, output gradients from the loss backwards,
parameters, targets), so a trace is the same whenever it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from bptrace.model.modules import (
    TENSOR_LIMIT,
    TOTAL_LIMIT,
    ModuleCall,
    ModuleNode,
    Pair,
    ParamInfo,
    Parts,
    Stats,
    TensorInfo,
)
from bptrace.tracer.record import Call, Key, call_names
from bptrace.tracer.tensorstats import dead_fraction, dtype_name, elements, tensor_stats

DEAD_TYPES: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)


@dataclass
class Budget:
    """How many elements may still be kept in full."""

    left: int = TOTAL_LIMIT

    def allows(self, n: int) -> bool:
        """Whether a tensor of ``n`` elements is kept (and if so, count it)."""
        if n > TENSOR_LIMIT or n > self.left:
            return False
        self.left -= n
        return True


ParamSlot = tuple[str, nn.Module, str, Any]  # a module's path, the module, a name, a parameter


@dataclass
class Recorded:
    """Everything a pass kept, enough to build the trace's parts."""

    named: list[tuple[str, nn.Module]]  # every module, as named_modules() gives them
    slots: list[ParamSlot]  # every parameter of every module, shared ones at each place
    calls: list[Call]
    outputs: dict[Key, tuple[torch.Tensor, Any]]  # every distinct output: value, gradient edge
    keys: list[Key]  # the outputs that require grad
    grads: tuple[torch.Tensor | None, ...]  # for the inputs that require grad, the trainable
    # parameters and the outputs that require grad, in that order
    inputs: list[torch.Tensor]  # copies
    names: list[str]  # every parameter's
    params: list[torch.Tensor]  # a copy of each
    trainable: list[str]  # the names of those that require grad
    targets: torch.Tensor  # a copy
    lr: float | None

    def build(self) -> Parts:
        """The parts; statistics are still computed only when first read."""
        grads = iter(self.grads)
        input_grads = [next(grads) if x.requires_grad else None for x in self.inputs]
        param_grads = {k: next(grads) for k in self.trainable}
        output_grads = {k: next(grads) for k in self.keys}
        budget = Budget()
        values = {k: _info(v, budget.allows(v.numel())) for k, (v, _) in self.outputs.items()}
        inputs = [
            Pair(_info(x, budget.allows(x.numel())), _opt(g, budget))
            for x, g in zip(self.inputs, input_grads, strict=True)
        ]
        out_grads = {k: _opt(output_grads.get(k), budget) for k in reversed(self.outputs)}
        calls = self._calls(values, out_grads)
        params = []
        trainable = set(self.trainable)
        for name, p in zip(self.names, self.params, strict=True):
            g = param_grads.get(name)
            if g is None and name in trainable:
                g = torch.zeros_like(p)  # unused in this pass: its gradient is 0
            updated = None
            if self.lr is not None:
                keep = budget.allows(p.numel())
                updated = _info(p, keep) if g is None else _made(p, _step(p, g, self.lr), keep)
            module, _, _ = name.rpartition(".")
            value = _info(p, budget.allows(p.numel()))
            params.append(
                ParamInfo(name, module, value, _opt(g, budget), name in trainable, updated)
            )
        targets = [_info(self.targets, budget.allows(self.targets.numel()))]
        return Parts(inputs, targets, self._hierarchy(calls), calls, params)

    def _calls(
        self, values: dict[Key, TensorInfo], grads: dict[Key, TensorInfo | None]
    ) -> list[ModuleCall]:
        calls = []
        for (name, index), (path, module, shapes, outs) in zip(
            call_names(self.calls), self.calls, strict=True
        ):
            keys = [(id(t), v) for t, v in outs]
            dead: Any = None
            if isinstance(module, DEAD_TYPES) and len(keys) == 1:
                dead = _dead(self.outputs[keys[0]][0])
            pairs = [Pair(values[k], grads[k]) for k in keys]
            calls.append(
                ModuleCall(
                    name,
                    path,
                    index,
                    type(module).__name__,
                    [tuple(s) for s in shapes],
                    pairs,
                    dead,
                )
            )
        return calls

    def _hierarchy(self, calls: list[ModuleCall]) -> list[ModuleNode]:
        nodes = {path: ModuleNode(path, type(m).__name__) for path, m in self.named}
        for path in nodes:
            if path:  # a module is named after its parent: module names have no dots
                nodes[path.rpartition(".")[0]].children.append(path)
        seen: set[tuple[str, int]] = set()
        for path, _, k, p in self.slots:
            if (path, id(p)) not in seen:  # a parameter set twice on a module is listed once
                seen.add((path, id(p)))
                nodes[path].params.append(f"{path}.{k}" if path else k)
        for call in calls:
            nodes[call.path].calls.append(call.name)
        return list(nodes.values())


def _info(t: torch.Tensor, keep: bool) -> TensorInfo:
    """A tensor's info, its statistics (and elements, if ``keep``) computed when first read."""

    def later() -> tuple[Stats, Any]:
        with torch.no_grad():
            return tensor_stats(t), (elements(t) if keep else None)

    return TensorInfo(tuple(t.shape), dtype_name(t.dtype), later=later)


def _opt(t: torch.Tensor | None, budget: Budget) -> TensorInfo | None:
    return None if t is None else _info(t, budget.allows(t.numel()))


def _made(like: torch.Tensor, make: Callable[[], torch.Tensor], keep: bool) -> TensorInfo:
    """The info of a tensor shaped like ``like``, made by ``make`` only when first read."""

    def later() -> tuple[Stats, Any]:
        with torch.no_grad():
            t = make()
            return tensor_stats(t), (elements(t) if keep else None)

    return TensorInfo(tuple(like.shape), dtype_name(like.dtype), later=later)


def _step(p: torch.Tensor, g: torch.Tensor, lr: float) -> Callable[[], torch.Tensor]:
    def updated() -> torch.Tensor:
        return p - lr * g

    return updated


def _dead(value: torch.Tensor) -> Callable[[], float]:
    def dead() -> float:
        return dead_fraction(value)

    return dead
