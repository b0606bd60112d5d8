"""Record one forward pass of an MLP: every Linear layer and every activation, called as a
module (``nn.Sigmoid()``) or as a plain function (``torch.sigmoid(x)`` inside ``forward``).

Forward hooks on every leaf module record module calls; a TorchFunctionMode records
activation functions called outside a module. Each recorded output gets a tensor hook for its
gradient. Every hook is removed in a ``finally``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.overrides import TorchFunctionMode

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.network import Activation

_ACT_FUNCS: dict[Any, str] = {
    torch.sigmoid: "sigmoid",
    torch.Tensor.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid",
    torch.tanh: "tanh",
    torch.Tensor.tanh: "tanh",
    F.tanh: "tanh",
    torch.relu: "relu",
    torch.Tensor.relu: "relu",
    F.relu: "relu",
    torch.relu_: "relu",
    torch.Tensor.relu_: "relu",
    F.leaky_relu: "leaky_relu",
    torch.softmax: "softmax",
    torch.Tensor.softmax: "softmax",
    F.softmax: "softmax",
}
_ACT_MODULES: dict[type[nn.Module], str] = {
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.ReLU: "relu",
    nn.LeakyReLU: "leaky_relu",
    nn.Softmax: "softmax",
}


@dataclass(slots=True)
class Event:
    """One recorded call: a Linear layer or an activation, with its input and output."""

    kind: str  # "linear" | "act"
    where: str  # module path, or the function's name
    inp: torch.Tensor
    out: torch.Tensor
    version: int  # the output's version counter when recorded
    act: Activation | None = None
    module: nn.Module | None = None
    copy: torch.Tensor | None = None  # the output, copied before an in-place op overwrote it
    grad: list[torch.Tensor] | None = None  # filled by a hook, if hooked
    hooked: bool = False  # an in-place op followed: value copied, gradient taken by a hook

    @property
    def value(self) -> torch.Tensor:
        """The output's value when it was made (unchanged, or the copy kept before a write);
        still in the graph (``numpy(force=True)`` detaches)."""
        return self.out if self.copy is None else self.copy


def _softmax_dim(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if "dim" in kwargs:
        return kwargs["dim"]
    return args[1] if len(args) > 1 else None


def _function_activation(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Activation:
    name = _ACT_FUNCS[func]
    if name == "leaky_relu":
        slope = kwargs.get("negative_slope", args[1] if len(args) > 1 else 0.01)
        return Activation(name, _finite_slope(slope, getattr(func, "__name__", name)))
    if name == "softmax":
        _check_softmax_dim(
            _softmax_dim(args, kwargs), args[0], getattr(func, "__name__", "softmax")
        )
    return Activation(name)


def _finite_slope(slope: Any, where: str) -> float:
    """A leaky ReLU's slope, which the trace's JSON must be able to hold (a finite number)."""
    value = float(slope)
    if not math.isfinite(value):
        raise BptraceError(
            _("LeakyReLU {where!r}: negative_slope must be a finite number, got {slope}").format(
                where=where, slope=value
            )
        )
    return value


def _check_softmax_dim(dim: Any, x: torch.Tensor, where: str) -> None:
    if dim is None or dim not in (-1, x.dim() - 1):
        raise BptraceError(
            _("{where}: softmax must run over the last dimension (dim=-1), got dim={dim!r}").format(
                where=where, dim=dim
            )
        )


def _module_activation(module: nn.Module, where: str, x: torch.Tensor) -> Activation | None:
    name = _ACT_MODULES.get(type(module))
    if name is None:
        return None
    if isinstance(module, nn.LeakyReLU):
        return Activation(name, _finite_slope(module.negative_slope, where))
    if isinstance(module, nn.Softmax):
        _check_softmax_dim(module.dim, x, where)
    return Activation(name)


class Recorder(TorchFunctionMode):
    """Collects :class:`Event` objects while a model runs forward."""

    def __init__(self, track_depth: bool = True) -> None:
        super().__init__()
        self.events: list[Event] = []
        self.depth = 0  # > 0 while inside a hooked leaf module
        self.track_depth = track_depth  # only needed while function calls are caught too
        self.direct = False  # run by run_direct: this mode is never entered

    def __torch_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...] = (), kwargs: Any = None
    ) -> Any:
        kwargs = kwargs or {}
        if (
            self.depth == 0
            and args
            and (kwargs.get("inplace") or getattr(func, "__name__", "").endswith("_"))
        ):
            self.protect(args[0])
        out = func(*args, **kwargs)
        if self.depth == 0 and func in _ACT_FUNCS and isinstance(out, torch.Tensor):
            act = _function_activation(func, args, kwargs)
            self.record("act", getattr(func, "__name__", str(func)), args[0], out, act=act)
        return out

    def record(
        self, kind: str, where: str, inp: torch.Tensor, out: torch.Tensor, **extra: Any
    ) -> None:
        if self.direct:  # this mode is not active
            self.events.append(Event(kind, where, inp, out, out._version, **extra))
            return
        # Our own calls on tensors here need not go through this mode's Python dispatch.
        with torch._C.DisableTorchFunction():
            event = Event(kind, where, inp, out, out._version, **extra)
        self.events.append(event)

    def protect(self, x: Any) -> None:
        """``x`` is about to be changed in place: keep a copy of its value, and hook its gradient
        now (a hook registered before an in-place op receives the gradient of the old value)."""
        if not isinstance(x, torch.Tensor):
            return
        with torch._C.DisableTorchFunction():
            for event in reversed(self.events):
                if event.out is x and not event.hooked:
                    event.copy = x.detach().clone()
                    event.hooked = True
                    grads: list[torch.Tensor] = []
                    event.grad = grads
                    if x.requires_grad:
                        x.register_hook(grads.append)  # type: ignore[no-untyped-call]
                    return

    def overwritten(self) -> list[str]:
        """Recorded outputs changed in place by an operation the recorder could not see."""
        return [e.where for e in self.events if not e.hooked and e.out._version != e.version]

    # module hooks -------------------------------------------------------------------------
    def pre_hook(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        if self.depth == 0 and getattr(module, "inplace", False) and args:
            self.protect(args[0])
        if self.track_depth:
            self.depth += 1

    def make_hook(self, where: str) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        def hook(module: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            if self.track_depth:
                self.depth -= 1
            if self.depth > 0 or isinstance(module, nn.Identity):
                return
            self.leaf(module, where, args[0] if args else None, out)

        return hook

    def leaf(self, module: nn.Module, where: str, x: Any, out: Any) -> None:
        """Leaf ``module`` (at ``where``) mapped ``x`` to ``out``: record it, or refuse it."""
        if not isinstance(x, torch.Tensor) or not isinstance(out, torch.Tensor):
            raise BptraceError(
                _("module {where!r} ({type}) does not map a tensor to a tensor").format(
                    where=where, type=type(module).__name__
                )
            )
        if isinstance(module, nn.Linear):
            self.record("linear", where, x, out, module=module)
            return
        act = _module_activation(module, where, x)
        if act is None:
            raise BptraceError(
                _(
                    "module {where!r} ({type}) is not supported: an MLP trace "
                    "needs nn.Linear layers and elementwise activations"
                ).format(where=where, type=type(module).__name__)
            )
        self.record("act", where, x, out, act=act)


@contextmanager
def recording(modules: list[tuple[str, nn.Module]], plain: bool) -> Iterator[Recorder]:
    """Hook every leaf module (``modules`` is the model's ``named_modules()``) and, unless the
    model is ``plain`` (a tree of ``nn.Sequential`` whose forward only calls its children, so
    every activation is a module call the hooks see), activation functions called as plain
    functions; unhook on exit. A plain tree with no hook of its own is not recorded here: the
    tracer runs it child by child (:func:`bptrace.tracer.direct.run_direct`)."""
    rec = Recorder(track_depth=not plain)
    handles = []
    try:
        for where, module in modules:
            if next(module.children(), None) is None:
                if not plain or getattr(module, "inplace", False):  # depth, or in-place copies
                    handles.append(module.register_forward_pre_hook(rec.pre_hook))
                handles.append(
                    module.register_forward_hook(rec.make_hook(where or type(module).__name__))
                )
        if plain:
            yield rec
        else:
            with rec:
                yield rec
    finally:
        for handle in handles:
            handle.remove()
