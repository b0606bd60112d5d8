"""Run the model with every module call recorded: hook-free for plain Sequentials, else wrapped.

- :func:`run_plain` for a tree of plain ``nn.Sequential`` containers: it does what
  ``Sequential.forward`` does, child by child, and records each call itself, so no hook is
  registered and nothing is added to a module call;
- :func:`wrapped` for any other model: each module's ``forward`` is shadowed, for the pass,
  by a wrapper that records the call (a forward hook where a hook could replace the output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from bptrace.tracer.recorder import Recorder
from bptrace.tracer.writeguard import WriteGuard

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
