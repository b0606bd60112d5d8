"""Run a plain ``nn.Sequential`` MLP child by child, recording each call with no hook at all.

When the model is a tree of plain ``nn.Sequential`` containers of leaf modules and nothing in
it (nor a global module hook) has hooks, :func:`run_direct` does what ``Sequential.forward``
does, child by child, and hands each leaf call to the recorder itself: nothing is registered
on the model, so nothing has to be removed, and module calls take torch's hook-free path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from bptrace.tracer.capture import Recorder

_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


def plain_and_hookless(modules: list[tuple[str, nn.Module]]) -> tuple[bool, bool]:
    """(every module is an ``nn.Sequential`` or has no child; and, when so, no module has hooks
    and no global module hook is set): how ``model``'s ``named_modules()`` is recorded, worked
    out in one pass."""
    hooked = False
    for _path, m in modules:
        if type(m) is not nn.Sequential and any(c is not None for c in m._modules.values()):
            return False, False
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks:
            hooked = True
    if hooked:
        return True, False
    import torch.nn.modules.module as mm

    return True, not any(getattr(mm, name, None) for name in _GLOBAL_HOOKS)


def inplace(module: nn.Module) -> bool:
    """``module.inplace``, read without ``nn.Module.__getattr__`` (which raises, slowly, for
    the many modules that have no such attribute)."""
    own = module.__dict__
    return bool(own["inplace"] if "inplace" in own else getattr(type(module), "inplace", False))


def run_direct(rec: Recorder, module: nn.Module, x: Any, names: dict[int, str]) -> Any:
    """``module(x)`` for a leaf or a plain ``nn.Sequential``, each leaf call recorded."""
    if type(module) is not nn.Sequential:
        return _leaf(rec, module, x, names)
    for child in module._modules.values():  # what iterating a Sequential gives
        if child is None:
            raise TypeError("'NoneType' object is not callable")
        if type(child) is nn.Sequential:
            x = run_direct(rec, child, x, names)
        else:
            x = _leaf(rec, child, x, names)
    return x


def _leaf(rec: Recorder, module: nn.Module, x: Any, names: dict[int, str]) -> Any:
    if inplace(module):  # what the pre-hook does: keep the value it overwrites
        rec.protect(x)
    out = module(x)
    if not isinstance(module, nn.Identity):
        rec.leaf(module, names[id(module)], x, out)
    return out
