"""Record every module call of one forward pass, doing as little as possible while it runs.

Each call becomes a :class:`Record`: the module's path, the module, its input shapes and one
:class:`Slot` per output tensor. A slot holds the tensor, its version counter and its gradient
edge as they were when the module returned it; a tensor returned by several modules (a
Sequential and its last child) gets one slot. Everything else (names, statistics, the
trace's objects) is worked out afterwards from these records (see ``tracer/assemble.py``).

Two ways to run the model:

- :func:`run_plain` for a tree of plain ``nn.Sequential`` containers: it does what
  ``Sequential.forward`` does, child by child, and records each call itself, so no hook is
  registered and nothing is added to a module call;
- :func:`hooked`: a forward hook on every module, for any other model.

In-place writes: before a recorded output's storage is written in place, the slot copies its
value (:meth:`Recorder.before_write`), so its statistics are of the value the module
returned. :class:`WriteGuard` (a torch function mode) sees every in-place torch operation
coming while code we do not know runs (a custom ``forward``); built-in ``torch.nn`` modules
only write in place through their ``inplace`` flag, which :func:`run_plain` checks itself. A
write nobody saw is found afterwards by the version counter (:meth:`Recorder.unseen`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import GradientEdge
from torch.overrides import TorchFunctionMode

from bptrace.model.modules import ROOT


class Slot:
    """One recorded output (shared by every call that returned it) and its gradient.

    ``value`` is the tensor itself until an in-place write to its storage is seen coming;
    then a copy taken just before. ``edge`` is what ∂loss/∂output is taken with respect to:
    the tensor itself, or, once an in-place write to it is seen coming, its gradient edge as
    it was just before (so the gradient is of the value the module returned).
    """

    __slots__ = ("_address", "edge", "grad", "grad_version", "tensor", "value", "version")

    def __init__(self, tensor: torch.Tensor) -> None:
        self.tensor = tensor  # held so its id is not reused while recording
        self.value = tensor
        self.version = tensor._version
        self.edge: Any = tensor if tensor.requires_grad else None
        self.grad: torch.Tensor | None = None
        self.grad_version = 0
        self._address: int | None = -1  # not looked up yet

    def address(self) -> int | None:
        if self._address == -1:
            self._address = _address(self.tensor)
        return self._address

    def snapshot(self) -> None:
        """Copy the value, and pin where its gradient is read, before it is overwritten (if
        it is still as recorded)."""
        if self.value._version == self.version:
            if self.edge is self.tensor:
                self.edge = _edge(self.tensor)
            with torch.no_grad():
                self.value = self.value.clone()
            self.version = self.value._version

    def changed(self) -> bool:
        """Whether the value or the gradient changed after it was recorded."""
        return self.value._version != self.version or (
            self.grad is not None and self.grad._version != self.grad_version
        )


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


@dataclass(slots=True)
class Record:
    """One module call as it happened: who, on what input shapes, returning which outputs."""

    path: str
    module: nn.Module
    inputs: list[torch.Size]
    outputs: list[Slot]


class Recorder:
    """The records of one forward pass, in the order the calls finished."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.slots: list[Slot] = []  # every slot, in the order first recorded
        self._by_key: dict[tuple[int, int], Slot] = {}
        self.live: list[Slot] = []  # slots an in-place write could still overwrite

    def record(self, path: str, module: nn.Module, args: Any, out: Any) -> None:
        """``module`` (at ``path``) returned ``out`` for the positional/keyword ``args``."""
        if type(out) is torch.Tensor:
            outputs = [self.slot(out)]
        else:
            outputs = [self.slot(t) for t in tensors(out)]
        single = type(args) is torch.Tensor
        shapes = [args.shape] if single else [t.shape for t in tensors(args)]
        self.records.append(Record(path, module, shapes, outputs))

    def slot(self, t: torch.Tensor) -> Slot:
        key = (id(t), t._version)
        found = self._by_key.get(key)
        if found is not None and found.tensor is t:
            return found
        slot = self._by_key[key] = Slot(t)
        self.slots.append(slot)
        self.live.append(slot)
        return slot

    def before_write(self, t: torch.Tensor) -> None:
        """``t`` is about to be written in place: copy the recorded values it would change."""
        if not self.live:
            return
        address = _address(t)
        if address is None:
            return
        still = []
        for slot in self.live:
            if slot.address() == address:
                slot.snapshot()
            else:
                still.append(slot)
        self.live = still

    def names(self) -> list[tuple[str, int]]:
        """Each call's name and call index: ``block.relu``, then ``block.relu#2`` (2)."""
        counts: dict[str, int] = {}
        out = []
        for r in self.records:
            index = counts[r.path] = counts.get(r.path, 0) + 1
            base = r.path or ROOT
            out.append((base if index == 1 else f"{base}#{index}", index))
        return out

    def unseen(self) -> list[str]:
        """The calls whose output or gradient changed without being seen coming."""
        if not any(s.changed() for s in self.slots):
            return []
        return [
            name
            for (name, _), r in zip(self.names(), self.records, strict=True)
            if any(s.changed() for s in r.outputs)
        ]


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


# -- running a tree of plain Sequentials without hooks -------------------------------------------
_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def _has_hooks(m: nn.Module) -> bool:
    return bool(
        m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks
    )


def plain_tree(named: list[tuple[str, nn.Module]]) -> bool:
    """Whether ``run_plain`` can run the model: every module is a leaf or a plain
    ``nn.Sequential`` without hooks of its own, and no global module hook is set."""
    import torch.nn.modules.module as mm

    if any(getattr(mm, name, None) for name in _GLOBAL_HOOKS):
        return False
    for _, m in named:
        if type(m) is nn.Sequential:
            if _has_hooks(m):
                return False
        elif m._modules:
            return False
    return True


BUILTIN: dict[type, bool] = {}


def _builtin(m: nn.Module) -> bool:
    """Whether ``m``'s class is one of torch.nn's own (its forward is torch's code)."""
    kind = type(m)
    known = BUILTIN.get(kind)
    if known is None:
        known = BUILTIN[kind] = kind.__module__.startswith("torch.nn.modules.")
    return known


def run_plain(
    rec: Recorder, module: nn.Module, x: Any, paths: dict[int, str], guard: WriteGuard
) -> Any:
    """What ``module(x)`` does for a leaf or a plain ``nn.Sequential`` (see :func:`plain_tree`),
    each call recorded; ``paths`` maps each module (by ``id``) to its path."""
    if type(module) is nn.Sequential:
        given = x
        for child in module._modules.values():  # what iterating a Sequential gives
            if child is None:
                raise TypeError("'NoneType' object is not callable")
            x = run_plain(rec, child, x, paths, guard)
        rec.record(paths[id(module)], module, given, x)
        return x
    if module.__dict__.get("inplace") is True and isinstance(x, torch.Tensor):
        rec.before_write(x)
    if _builtin(module):
        out = module(x)
    else:  # its forward is the user's code: any in-place write must be seen coming
        with guard:
            out = module(x)
    rec.record(paths[id(module)], module, x, out)
    return out


# -- hooks, for any other model --------------------------------------------------------------------
@contextmanager
def hooked(rec: Recorder, named: list[tuple[str, nn.Module]]) -> Iterator[None]:
    """A forward hook on every module (``named``: the model's ``named_modules()``), removed
    on exit whatever happens."""
    handles = []
    try:
        for path, module in named:
            handles.append(module.register_forward_hook(_hook(rec, path), with_kwargs=True))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _hook(rec: Recorder, path: str) -> Callable[..., None]:
    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        with torch._C.DisableTorchFunction():  # our own reads need no WriteGuard
            if not kwargs and len(args) == 1:
                rec.record(path, module, args[0], out)
            else:
                rec.record(path, module, (args, kwargs), out)

    return hook


# -- seeing in-place writes coming -------------------------------------------------------------
IN_PLACE_DUNDERS = frozenset(
    f"__i{op}__"
    for op in (
        *("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow"),
        *("lshift", "rshift", "and", "or", "xor"),
    )
) | {"__setitem__"}

WRITE_KINDS: dict[Any, int | None] = {}  # torch function → what it writes (_write_kind)


class WriteGuard(TorchFunctionMode):
    """While the user's code runs: before any in-place torch operation (``x.add_``,
    ``x += y``, ``x[i] = v``, ``F.relu(x, inplace=True)``, ``out=x``) writes to the storage of
    a recorded output, copy that output, so its statistics are of the value the module
    returned."""

    def __init__(self, rec: Recorder) -> None:
        super().__init__()
        self.rec = rec

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if kwargs is None:
            kwargs = {}
        try:
            kind = WRITE_KINDS[func]
        except KeyError:
            kind = WRITE_KINDS[func] = _write_kind(func)
        except TypeError:  # unhashable
            kind = _write_kind(func)
        if (kind is not None or "out" in kwargs) and self.rec.live:
            self._before(kind, args, kwargs)
        return func(*args, **kwargs)

    def _before(self, kind: int | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        rec = self.rec
        out = kwargs.get("out")
        if out is not None:
            for t in tensors(out):
                rec.before_write(t)
        if kind is None or not args or not isinstance(args[0], torch.Tensor):
            return
        if kind < 0 or kwargs.get("inplace") or (kind < len(args) and args[kind] is True):
            rec.before_write(args[0])


def _write_kind(func: Any) -> int | None:
    """-1: writes its first argument; k ≥ 0: does when its ``inplace`` (position k) is True."""
    name = getattr(func, "__name__", "")
    if not isinstance(name, str):
        return None
    if name in IN_PLACE_DUNDERS or (name.endswith("_") and not name.endswith("__")):
        return -1
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
    return params.index("inplace") if "inplace" in params else None
