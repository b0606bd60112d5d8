"""Record every module call of one forward pass, doing as little as possible while it runs.

Each call is kept as it happened: the module's path, the module, its input shapes, and each
output tensor with its version counter. An output is known by its identity and version (a
tensor returned by several modules, a Sequential and its last child, is one output; the same
tensor returned again after an in-place write is another). Everything else (names,
statistics, the trace's objects) is worked out afterwards (``tracer/assemble.py``).

Two ways to run the model:

- :func:`run_plain` for a tree of plain ``nn.Sequential`` containers: it does what
  ``Sequential.forward`` does, child by child, and records each call itself, so no hook is
  registered and nothing is added to a module call;
- :func:`wrapped` for any other model: each module's ``forward`` is shadowed, for the pass,
  by a wrapper that records the call (a forward hook where a hook could replace the output).

In-place writes: just before a recorded output's storage is written in place, its value is
copied (:meth:`Recorder.before_write`), so its statistics are of the value the module
returned. :class:`WriteGuard` (a torch function mode) sees every in-place torch operation
coming while code we do not know runs (a custom ``forward``); it is paused while torch's own
``torch.nn`` modules run, which write in place only through their ``inplace`` flag, checked
before the call. A write nobody saw is found afterwards by the version counter
(:meth:`Recorder.unseen`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn
from torch.autograd.graph import GradientEdge
from torch.overrides import TorchFunctionMode

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


def builtin(m: nn.Module) -> bool:
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
    if builtin(module):
        out = module(x)
    else:  # its forward is the user's code: any in-place write must be seen coming
        with guard:
            out = module(x)
    rec.record(paths[id(module)], module, x, out)
    return out


# -- any other model: each module's forward wrapped ---------------------------------------------
_UNSET = object()


@contextmanager
def wrapped(rec: Recorder, named: list[tuple[str, nn.Module]], guard: WriteGuard) -> Iterator[None]:
    """Every module (``named``: the model's ``named_modules()``) records its calls while the
    context is open; everything is put back on exit whatever happens.

    A module's ``forward`` is shadowed by a recording wrapper set on the instance (module calls
    then take torch's hook-free path). Where a forward hook could replace the module's output
    (the module has forward hooks of its own, or a global one is set), a forward hook records
    what the hooks return instead."""
    import torch.nn.modules.module as mm

    hooks = []
    shadowed: list[tuple[dict[str, Any], Any]] = []  # (a module's __dict__, its own forward)
    global_hooks = bool(getattr(mm, "_global_forward_hooks", None))
    try:
        for path, module in named:
            if global_hooks or module._forward_hooks:
                hooks.append(module.register_forward_hook(_hook(rec, path), with_kwargs=True))
            else:
                own = module.__dict__
                shadowed.append((own, own.get("forward", _UNSET)))
                own["forward"] = _wrapper(rec, path, module, module.forward, guard)
        yield
    finally:
        for own, before in shadowed:
            if before is _UNSET:
                own.pop("forward", None)
            else:
                own["forward"] = before
        for hook in hooks:
            hook.remove()


def _wrapper(
    rec: Recorder, path: str, module: nn.Module, forward: Callable[..., Any], guard: WriteGuard
) -> Callable[..., Any]:
    """``forward``, recorded. The guard watches the user's code and is paused inside torch's
    own modules, which write in place only through their ``inplace`` flag (checked here)."""
    watch = not builtin(module)
    inplace = not watch and module.__dict__.get("inplace") is True

    def recorded(*args: Any, **kwargs: Any) -> Any:
        if inplace and args and isinstance(args[0], torch.Tensor):
            rec.before_write(args[0])
        switched = guard.switch(watch)
        try:
            out = forward(*args, **kwargs)
        finally:
            if switched:
                guard.switch(not watch)
        _record(rec, path, module, args, kwargs, out)
        return out

    return recorded


def _record(
    rec: Recorder, path: str, module: nn.Module, args: Any, kwargs: dict[str, Any], out: Any
) -> None:
    with torch._C.DisableTorchFunction():  # our own reads need no WriteGuard
        rec.record(path, module, args[0] if len(args) == 1 and not kwargs else (args, kwargs), out)


def _hook(rec: Recorder, path: str) -> Callable[..., None]:
    def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any) -> None:
        _record(rec, path, module, args, kwargs, out)

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
        self.entered = 0  # how many times entered and not exited
        self.on = False  # whether it is on the torch function mode stack now

    def __enter__(self) -> WriteGuard:
        super().__enter__()  # type: ignore[no-untyped-call]
        self.entered += 1
        self.on = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.entered -= 1
        self.on = self.entered > 0
        super().__exit__(*exc)  # type: ignore[no-untyped-call]

    def switch(self, on: bool) -> bool:
        """Watch (``on``) or stop watching; True if that changed anything."""
        return self.resume() if on else self.pause()

    def pause(self) -> bool:
        """Stop watching, if this guard is the innermost torch function mode; True if so."""
        n = torch._C._len_torch_function_stack()
        if self.on and n and torch._C._get_function_stack_at(n - 1) is self:
            torch._C._pop_torch_function_stack()
            self.on = False
            return True
        return False

    def resume(self) -> bool:
        """Watch again, if entered but paused; True if so."""
        if self.on or not self.entered:
            return False
        torch._C._push_on_torch_function_stack(self)
        self.on = True
        return True

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
        if (kind is not None or "out" in kwargs) and self.rec.watching:
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
