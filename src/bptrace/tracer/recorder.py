"""The :class:`Recorder`: every module call of one forward pass, as it happened.

Each call is kept as it happened: the module's path, the module, its input shapes, and each
output tensor with its version counter. An output is known by its identity and version (a
tensor returned by several modules, a Sequential and its last child, is one output; the same
tensor returned again after an in-place write is another). Just before a recorded output's
storage is written in place, its value is copied (:meth:`Recorder.before_write`); a write
nobody saw is found afterwards by the version counter (:meth:`Recorder.unseen`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import GradientEdge

from bptrace.model.modules import ROOT

Output = tuple[torch.Tensor, int]  # an output tensor, and its version counter when returned
Key = tuple[int, int]  # an output by identity and version: what a module returned, once
Call = tuple[str, nn.Module, list[torch.Size], list[Output]]  # path, module, input shapes, outputs


class Recorder:
    """The calls of one forward pass, in the order they finished, and the copies taken of
    recorded outputs just before an in-place write (with where their gradient is read)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.copies: dict[Key, tuple[torch.Tensor, Any]] = {}  # key → (value, gradient edge)
        self.watching = True  # False once the model has run: later writes are not ours to see
        self._addresses: dict[int, int | None] = {}

    def record(self, path: str, module: nn.Module, args: Any, out: Any) -> None:
        """``module`` (at ``path``) returned ``out`` for the positional/keyword ``args``."""
        if type(out) is torch.Tensor:
            outs = [(out, out._version)]
        else:
            outs = [(t, t._version) for t in tensors(out)]
        single = type(args) is torch.Tensor
        self.calls.append((path, module, [args.shape] if single else _shapes(args), outs))

    def before_write(self, t: torch.Tensor) -> None:
        """``t`` is about to be written in place: copy the recorded values it would change, and
        pin where their gradients are read (a later write re-routes the tensor's history)."""
        if not self.watching:
            return
        address = _address(t)
        if address is None:
            return
        for _, _, _, outs in self.calls:
            for o, version in outs:
                if o._version != version or (id(o), version) in self.copies:
                    continue  # already changed (too late to copy), or copied
                if self._address(o) == address:
                    edge = _edge(o) if o.requires_grad else None
                    with torch.no_grad():
                        self.copies[(id(o), version)] = (o.clone(), edge)

    def _address(self, t: torch.Tensor) -> int | None:
        found = self._addresses.get(id(t), -1)
        if found == -1:
            found = self._addresses[id(t)] = _address(t)
        return found

    def outputs(self) -> tuple[dict[Key, tuple[torch.Tensor, Any]], list[Key], list[Any]]:
        """Every distinct output, in the order first returned: its value (a copy if it was
        overwritten in place, or if it is a parameter, which the caller may change) and what
        its gradient is taken with respect to (None if it does not require grad); then the
        keys of those that require grad, and what."""
        out: dict[Key, tuple[torch.Tensor, Any]] = {}
        keys: list[Key] = []
        edges: list[Any] = []
        copies = self.copies
        for _, _, _, outs in self.calls:
            for t, version in outs:
                key = (id(t), version)
                if key in out:
                    continue
                found = copies.get(key)
                if found is None:
                    if type(t) is not torch.Tensor and isinstance(t, nn.Parameter):
                        with torch.no_grad():
                            found = (t.clone(), t)
                    else:
                        found = (t, t if t.requires_grad else None)
                out[key] = found
                if found[1] is not None:
                    keys.append(key)
                    edges.append(found[1])
        return out, keys, edges

    def unseen(self) -> list[str]:
        """The calls whose output changed after it was returned without being seen coming."""
        copies = self.copies
        names = None
        changed = []
        for i, (_, _, _, outs) in enumerate(self.calls):
            for t, version in outs:
                if t._version != version and (id(t), version) not in copies:
                    names = names or call_names(self.calls)
                    changed.append(names[i][0])
                    break
        return changed


def call_names(calls: list[Call]) -> list[tuple[str, int]]:
    """Each call's name and call index: ``block.relu``, then ``block.relu#2`` (2)."""
    counts: dict[str, int] = {}
    out = []
    for path, _, _, _ in calls:
        index = counts[path] = counts.get(path, 0) + 1
        base = path or ROOT
        out.append((base if index == 1 else f"{base}#{index}", index))
    return out


def _shapes(args: Any) -> list[torch.Size]:
    return [t.shape for t in tensors(args)]


def _edge(t: torch.Tensor) -> Any:
    """Where autograd delivers ∂loss/∂``t`` (``t`` requires grad): the tensor itself for a
    leaf, else its gradient edge as it is now."""
    fn = t.grad_fn
    if fn is None:
        return t
    if isinstance(fn, torch._C._FunctionBase):  # a Python node: the edge must own the graph
        return torch.autograd.graph.get_gradient_edge(t)
    return GradientEdge(fn, t.output_nr, None)


def _address(t: torch.Tensor) -> int | None:
    try:
        return int(t.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError, TypeError):  # sparse, meta, ... tensors
        return None


def tensors(obj: Any) -> Iterator[torch.Tensor]:
    """The tensors in an output: a tensor, or nested tuples, lists and dicts of them."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            yield from tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from tensors(x)
