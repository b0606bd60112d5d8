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
from bptrace.tracer.record import Record, Slot
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


@dataclass
class Node:
    """One module of the model as it was when traced: its path, and its members as set."""

    path: str
    module: nn.Module
    children: list[tuple[str, Any]]
    params: list[tuple[str, Any]]


@dataclass
class Recorded:
    """Everything a pass kept, enough to build the trace's parts."""

    nodes: list[Node]
    records: list[Record]
    names: list[tuple[str, int]]  # each record's call name and index
    slots: list[Slot]  # every output slot, in the order first recorded
    inputs: list[tuple[torch.Tensor, torch.Tensor | None]]  # each input copy, its gradient
    params: list[tuple[str, torch.Tensor, torch.Tensor | None, bool]]  # name, copy, grad, trainable
    targets: torch.Tensor
    lr: float | None

    def build(self) -> Parts:
        """The parts; statistics are still computed only when first read."""
        budget = Budget()
        values = {id(s): _info(s.value, budget.allows(s.value.numel())) for s in self.slots}
        inputs = [Pair(_info(x, budget.allows(x.numel())), _opt(g, budget)) for x, g in self.inputs]
        grads = {id(s): _opt(s.grad, budget) for s in reversed(self.slots)}
        calls = self._calls(values, grads)
        params = []
        for name, p, g, trainable in self.params:
            if g is None and trainable:
                g = torch.zeros_like(p)  # unused in this pass: its gradient is 0
            updated = None
            if self.lr is not None:
                keep = budget.allows(p.numel())
                updated = _info(p, keep) if g is None else _made(p, _step(p, g, self.lr), keep)
            module, _, _ = name.rpartition(".")
            value = _info(p, budget.allows(p.numel()))
            params.append(ParamInfo(name, module, value, _opt(g, budget), trainable, updated))
        targets = [_info(self.targets, budget.allows(self.targets.numel()))]
        return Parts(inputs, targets, self._hierarchy(calls), calls, params)

    def _calls(
        self, values: dict[int, TensorInfo], grads: dict[int, TensorInfo | None]
    ) -> list[ModuleCall]:
        calls = []
        for (name, index), r in zip(self.names, self.records, strict=True):
            dead: Any = None
            if isinstance(r.module, DEAD_TYPES) and len(r.outputs) == 1:
                dead = _dead(r.outputs[0])
            calls.append(
                ModuleCall(
                    name,
                    r.path,
                    index,
                    type(r.module).__name__,
                    [tuple(s) for s in r.inputs],
                    [Pair(values[id(s)], grads[id(s)]) for s in r.outputs],
                    dead,
                )
            )
        return calls

    def _hierarchy(self, calls: list[ModuleCall]) -> list[ModuleNode]:
        nodes = {}
        for n in self.nodes:
            prefix = f"{n.path}." if n.path else ""
            nodes[n.path] = ModuleNode(
                n.path,
                type(n.module).__name__,
                [f"{prefix}{k}" for k in _distinct(n.children)],
                [f"{prefix}{k}" for k in _distinct(n.params)],
            )
        for node in nodes.values():
            node.children = [c for c in node.children if c in nodes]  # shared modules once
        for call in calls:
            nodes[call.path].calls.append(call.name)
        return list(nodes.values())


def _distinct(members: list[tuple[str, Any]]) -> list[str]:
    """The names of the members that are set, each object once (as ``named_children()`` and
    ``named_parameters(recurse=False)`` list them)."""
    seen: set[int] = set()
    out = []
    for k, v in members:
        if v is not None and id(v) not in seen:
            seen.add(id(v))
            out.append(k)
    return out


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


def _dead(slot: Slot) -> Callable[[], float]:
    def dead() -> float:
        return dead_fraction(slot.value)

    return dead
