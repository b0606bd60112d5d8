"""Run a plain ``nn.Sequential`` MLP child by child, recording each call with no hook at all.

When the model is a tree of plain ``nn.Sequential`` containers of leaf modules and nothing in
it (nor a global module hook) has hooks, :func:`run_direct` does what ``Sequential.forward``
does, child by child, and hands each leaf call to the recorder itself: nothing is registered
on the model, so nothing has to be removed, and each leaf's ``forward`` is called directly
(with no hook anywhere, that is all ``module(x)`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.modules.module as _module_module
from torch import nn

from bptrace.model.network import Activation
from bptrace.tracer.capture import Event

if TYPE_CHECKING:
    from bptrace.tracer.capture import Recorder

# the leaf types recorded here without Recorder.leaf's questions (their exact types, not
# subclasses): nn.Linear (None) and the activations with no setting that changes what they are
_PLAIN: dict[type[nn.Module], Activation | None] = {
    nn.Linear: None,
    nn.Sigmoid: Activation("sigmoid"),
    nn.Tanh: Activation("tanh"),
    nn.ReLU: Activation("relu"),
}

_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)


@dataclass(slots=True)
class Survey:
    """What one walk over a model's modules finds."""

    modules: list[tuple[str, nn.Module]]  # ``list(model.named_modules())``
    params: dict[str, nn.Parameter]  # ``dict(model.named_parameters())``
    paths: dict[int, str]  # id(module) → its path (``""`` for the model itself)
    plain: bool = True  # every module is an ``nn.Sequential`` or has no child
    direct: bool = False  # plain, nothing hooked or compiled, no global hook: run_direct
    inference: bool = False  # a parameter or buffer was made under torch.inference_mode()
    hooked: bool = False  # some module has a hook or is compiled


def survey(model: nn.Module) -> Survey:
    """The model's modules and parameters (as ``named_modules()`` and ``named_parameters()``
    give them), how it is recorded, and whether a parameter or buffer is an inference
    tensor, in one walk (no generators: this runs on every trace)."""
    found = Survey([], {}, {})
    _visit(found, "", model, set())
    found.direct = found.plain and not found.hooked and not torch._C._get_tracing_state()
    if found.direct:
        for name in _GLOBAL_HOOKS:
            if getattr(_module_module, name, None):
                found.direct = False
                break
    return found


def _visit(found: Survey, path: str, m: nn.Module, seen: set[int]) -> None:
    """``m`` (at ``path``) and, depth first, its children, each module once."""
    if id(m) in seen:
        return
    seen.add(id(m))
    found.modules.append((path, m))
    found.paths[id(m)] = path
    prefix = f"{path}." if path else ""
    for key, p in m._parameters.items():
        if p is not None and id(p) not in seen:  # parameters and modules never share an id
            seen.add(id(p))
            found.params[prefix + key] = p
            found.inference = found.inference or p.is_inference()
    for b in m._buffers.values():
        found.inference = found.inference or (b is not None and b.is_inference())
    if (  # module(x) would do more than call forward: a hook, or compiled
        m._forward_hooks
        or m._forward_pre_hooks
        or m._backward_hooks
        or m._backward_pre_hooks
        or m._compiled_call_impl is not None
    ):
        found.hooked = True
    sequential = type(m) is nn.Sequential
    for key, child in m._modules.items():
        if child is not None:
            found.plain = found.plain and sequential
            _visit(found, prefix + key, child, seen)


def inplace(module: nn.Module) -> bool:
    """``module.inplace``, read without ``nn.Module.__getattr__`` (which raises, slowly, for
    the many modules that have no such attribute)."""
    own = module.__dict__
    return bool(own["inplace"] if "inplace" in own else getattr(type(module), "inplace", False))


def run_direct(rec: Recorder, module: nn.Module, x: Any, paths: dict[int, str]) -> Any:
    """``module(x)`` for a leaf or a plain ``nn.Sequential``, each leaf call recorded
    (``paths``: id(module) → its path in the model)."""
    if type(module) is not nn.Sequential:
        return _leaf(rec, module, x, paths)
    for child in module._modules.values():  # what iterating a Sequential gives
        if child is None:
            raise TypeError("'NoneType' object is not callable")
        if type(child) is nn.Sequential:
            x = run_direct(rec, child, x, paths)
        else:
            x = _leaf(rec, child, x, paths)
    return x


def _leaf(rec: Recorder, module: nn.Module, x: Any, paths: dict[int, str]) -> Any:
    if inplace(module):  # what the pre-hook does: keep the value it overwrites
        rec.protect(x)
    out = module.forward(x)  # all that module(x) does when survey() found it direct
    cls = type(module)
    if cls in _PLAIN and isinstance(out, torch.Tensor):  # what rec.leaf would record
        where = paths[id(module)] or cls.__name__
        act = _PLAIN[cls]
        if act is None:
            rec.events.append(Event("linear", where, x, out, out._version, module=module))
        else:
            rec.events.append(Event("act", where, x, out, out._version, act=act))
    elif not isinstance(module, nn.Identity):
        rec.leaf(module, paths[id(module)] or type(module).__name__, x, out)
    return out
