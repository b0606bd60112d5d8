"""Trace any ``nn.Module`` per module call into a :class:`~bptrace.model.modules.ModuleTrace`.

A forward hook on every module (containers too) records each call: input shapes, and for
each output tensor its statistics, computed at once, before any later in-place operation
(``nn.ReLU(inplace=True)``) can change it, and a tensor hook for ∂loss/∂output. A tensor
returned by several modules (a Sequential and its last child) is measured once.

The model is never changed: the pass runs through ``torch.func.functional_call`` on
detached copies of its parameters and buffers (so BatchNorm's running statistics stay as they
were; any buffer found changed is restored), gradients come from ``torch.autograd.grad``
(nothing accumulates into ``.grad``), the train/eval mode is left as it is, the global random
state is forked (dropout draws from a generator seeded with 0, so a trace is deterministic),
and every hook is removed in a ``finally``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from bptrace.model.errors import BptraceError
from bptrace.model.modules import (
    ROOT,
    TENSOR_LIMIT,
    TOTAL_LIMIT,
    ModelInfo,
    ModuleCall,
    ModuleNode,
    ModuleTrace,
    Pair,
    ParamInfo,
    Stats,
    TensorInfo,
)

DEAD_TYPES: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)
ELEMENTWISE_LOSSES: tuple[type[nn.Module], ...] = (
    nn.MSELoss,
    nn.L1Loss,
    nn.SmoothL1Loss,
    nn.HuberLoss,
    nn.BCELoss,
    nn.BCEWithLogitsLoss,
)
Inputs = torch.Tensor | tuple[torch.Tensor, ...]


def tensor_stats(t: torch.Tensor) -> Stats:
    """Mean, population std, min, max, norm, fraction of exact zeros, NaN and inf counts."""
    x = t.detach()
    if not x.is_floating_point():
        x = x.double()
    elif x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    n = x.numel()
    if n == 0:
        nan = math.nan
        return Stats(0, nan, nan, nan, nan, 0.0, 0.0)
    std, mean = torch.std_mean(x, correction=0)
    lo, hi = torch.aminmax(x)
    norm = torch.linalg.vector_norm(x)
    nonzero = torch.count_nonzero(x)
    mean_, std_, lo_, hi_, norm_ = torch.stack([mean, std, lo, hi, norm]).double().tolist()
    zeros = n - int(nonzero)
    nans = infs = 0
    if not all(math.isfinite(v) for v in (mean_, lo_, hi_, norm_)):  # NaN/inf reach these
        nans, infs = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
    return Stats(n, mean_, std_, lo_, hi_, norm_, zeros / n, nans, infs)


def dead_fraction(out: torch.Tensor) -> float:
    """The fraction of units (dimension 1, or the elements of a 1-D output) that are 0 everywhere."""
    x = out.detach()
    if x.dim() == 0 or x.numel() == 0:
        return 0.0
    if x.dim() == 1:
        return float((x == 0).double().mean())
    zero = x == 0
    for d in reversed([d for d in range(x.dim()) if d != 1]):
        zero = zero.all(dim=d)
    return float(zero.double().mean())


@dataclass
class Budget:
    """How many elements may still be kept in full."""

    left: int = TOTAL_LIMIT

    def keep(self, t: torch.Tensor) -> np.ndarray[Any, Any] | None:
        n = t.numel()
        if n > TENSOR_LIMIT or n > self.left:
            return None
        self.left -= n
        return t.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()


@dataclass
class Slot:
    """One recorded tensor (shared by every call that returned it) and its gradient."""

    tensor: torch.Tensor  # held so its id is not reused while recording
    info: TensorInfo
    grad: TensorInfo | None = None


@dataclass
class Recorder:
    """Forward hooks on every module; tensor hooks on every output."""

    budget: Budget = field(default_factory=Budget)
    calls: list[tuple[ModuleCall, list[Slot]]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    slots: dict[tuple[int, int], Slot] = field(default_factory=dict)

    def info(self, t: torch.Tensor) -> TensorInfo:
        return TensorInfo(
            tuple(t.shape),
            str(t.dtype).removeprefix("torch."),
            tensor_stats(t),
            self.budget.keep(t),
        )

    def slot(self, t: torch.Tensor) -> Slot:
        key = (id(t), t._version)
        found = self.slots.get(key)
        if found is not None and found.tensor is t:
            return found
        with torch.no_grad():
            slot = Slot(t, self.info(t))
        if t.requires_grad:

            def on_grad(g: torch.Tensor, s: Slot = slot) -> None:
                with torch.no_grad():
                    s.grad = self.info(g)

            t.register_hook(on_grad)  # type: ignore[no-untyped-call]
        self.slots[key] = slot
        return slot

    def make_hook(self, path: str) -> Callable[..., None]:
        def hook(
            module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any
        ) -> None:
            index = self.counts.get(path, 0) + 1
            self.counts[path] = index
            base = path or ROOT
            name = base if index == 1 else f"{base}#{index}"
            slots = [self.slot(t) for t in _tensors(out)]
            dead = None
            if isinstance(module, DEAD_TYPES) and isinstance(out, torch.Tensor):
                dead = dead_fraction(out)
            shapes = [tuple(t.shape) for t in _tensors((args, kwargs))]
            call = ModuleCall(name, path, index, type(module).__name__, shapes, [], dead)
            self.calls.append((call, slots))

        return hook

    def finish(self) -> list[ModuleCall]:
        for call, slots in self.calls:
            call.outputs = [Pair(s.info, s.grad) for s in slots]
        return [call for call, _ in self.calls]


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    """The tensors in an output: a tensor, or nested tuples, lists and dicts of them."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)


@contextmanager
def recording(model: nn.Module) -> Iterator[Recorder]:
    """Hook every module of ``model``; unhook on exit, whatever happens."""
    rec = Recorder()
    handles = []
    try:
        for path, module in model.named_modules():
            handles.append(module.register_forward_hook(rec.make_hook(path), with_kwargs=True))
        yield rec
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def buffers_kept(model: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Copies of every buffer for the pass; any original buffer found changed is restored."""
    saved = {k: b.detach().clone() for k, b in model.named_buffers()}
    versions = {k: b._version for k, b in model.named_buffers()}
    try:
        yield {k: b.clone() for k, b in saved.items()}
    finally:
        with torch.no_grad():
            for k, b in model.named_buffers():
                if k in saved and b._version != versions[k]:
                    b.copy_(saved[k])


def check_inputs(
    model: object, inputs: object, targets: object, loss_fn: object
) -> tuple[torch.Tensor, ...]:
    """Refuse what cannot be traced, with a message naming it; the inputs as a tuple."""
    if not isinstance(model, nn.Module):
        raise BptraceError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    xs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
    if (
        not isinstance(xs, (tuple, list))
        or not xs
        or not all(isinstance(x, torch.Tensor) for x in xs)
    ):
        raise BptraceError(
            f"inputs must be a tensor or a tuple of tensors, got {type(inputs).__name__}"
        )
    if not isinstance(targets, torch.Tensor):
        raise BptraceError(f"targets must be a tensor, got {type(targets).__name__}")
    if not callable(loss_fn):
        raise BptraceError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    params = list(model.parameters())
    if not params:
        raise BptraceError(f"the model ({type(model).__name__}) has no parameters to trace")
    if not any(p.requires_grad for p in params):
        raise BptraceError(
            f"no parameter of the model ({type(model).__name__}) requires grad: nothing to trace"
        )
    return tuple(xs)


def _loss(loss_fn: Callable[..., Any], output: Any, targets: torch.Tensor) -> torch.Tensor:
    name = _name(loss_fn)
    if isinstance(loss_fn, ELEMENTWISE_LOSSES):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        if shape != tuple(targets.shape):
            raise BptraceError(
                f"targets have shape {tuple(targets.shape)} but the model's output has shape "
                f"{shape if shape is not None else type(output).__name__}; {name} needs them equal"
            )
    try:
        loss = loss_fn(output, targets)
    except BptraceError:
        raise
    except Exception as exc:
        raise BptraceError(f"the loss ({name}) failed: {_describe(exc)}") from None
    if not isinstance(loss, torch.Tensor):
        raise BptraceError(f"the loss ({name}) returned {type(loss).__name__}, not a tensor")
    if loss.numel() != 1 or loss.dim() != 0:
        raise BptraceError(
            f"the loss ({name}) is not a scalar (shape {tuple(loss.shape)}); use reduction='mean' or 'sum'"
        )
    if not loss.requires_grad:
        raise BptraceError(f"the loss ({name}) does not depend on any parameter that requires grad")
    return loss


def trace_modules(
    model: nn.Module,
    inputs: Inputs,
    targets: torch.Tensor,
    loss_fn: Callable[..., Any],
    lr: float | None = None,
    name: str | None = None,
) -> ModuleTrace:
    """One forward and one backward pass, recorded per module call; the model is untouched."""
    xs = check_inputs(model, inputs, targets, loss_fn)
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise BptraceError(f"lr: must be a positive number, got {lr}")
    originals = dict(model.named_parameters())
    params = {k: p.detach().clone().requires_grad_(p.requires_grad) for k, p in originals.items()}
    copies = [x.detach().clone() for x in xs]
    for x in copies:
        if x.is_floating_point() or x.is_complex():
            x.requires_grad_(True)
    with buffers_kept(model) as buffers, torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(0)
        with recording(model) as rec:
            try:
                output = torch.func.functional_call(model, {**params, **buffers}, tuple(copies))
            except BptraceError:
                raise
            except Exception as exc:
                raise BptraceError(f"the model's forward pass failed: {_describe(exc)}") from None
        loss = _loss(loss_fn, output, targets)
        wanted = [x for x in copies if x.requires_grad]
        trainable = [k for k, p in params.items() if p.requires_grad]
        grads = torch.autograd.grad(
            loss, [*wanted, *(params[k] for k in trainable)], allow_unused=True
        )
    with torch.no_grad():
        grad_of = dict(zip(trainable, grads[len(wanted) :], strict=True))
        input_grads = iter(grads[: len(wanted)])
        in_pairs = []
        for x in copies:
            g = next(input_grads) if x.requires_grad else None
            in_pairs.append(Pair(rec.info(x), None if g is None else rec.info(g)))
        param_infos = []
        for k, p in params.items():
            g = grad_of.get(k)
            if g is None and p.requires_grad:
                g = torch.zeros_like(p)  # unused in this pass: its gradient is 0
            updated = None
            if lr is not None:
                updated = rec.info(p - lr * g if g is not None else p)
            module, _, _ = k.rpartition(".")
            param_infos.append(
                ParamInfo(
                    k,
                    module,
                    rec.info(p),
                    None if g is None else rec.info(g),
                    originals[k].requires_grad,
                    updated,
                )
            )
        calls = rec.finish()
        targets_info = [rec.info(targets)]
        loss_value = float(loss.detach())
    nodes = _hierarchy(model, calls)
    info = ModelInfo(name, type(model).__name__, _name(loss_fn), _dtype(params), lr)
    tr = ModuleTrace(info, in_pairs, targets_info, loss_value, nodes, calls, param_infos)
    tr.warnings.extend(_warnings(model))
    return tr


def _hierarchy(model: nn.Module, calls: list[ModuleCall]) -> list[ModuleNode]:
    nodes = {}
    for path, module in model.named_modules():
        prefix = f"{path}." if path else ""
        nodes[path] = ModuleNode(
            path,
            type(module).__name__,
            [f"{prefix}{child}" for child, _ in module.named_children()],
            [f"{prefix}{p}" for p, _ in module.named_parameters(recurse=False)],
        )
    for node in nodes.values():
        node.children = [c for c in node.children if c in nodes]  # shared modules appear once
    for call in calls:
        nodes[call.path].calls.append(call.name)
    return list(nodes.values())


def _warnings(model: nn.Module) -> list[str]:
    out = []
    if model.training:
        kinds = sorted(
            {
                type(m).__name__
                for m in model.modules()
                if isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm))
            }
        )
        if kinds:
            out.append(
                f"the model is in train mode ({', '.join(kinds)}): dropout draws from a generator "
                "seeded with 0 and batch norm uses the batch's statistics; running statistics "
                "are left untouched"
            )
    return out


def _dtype(params: dict[str, torch.Tensor]) -> str:
    first = next(iter(params.values()))
    return str(first.dtype).removeprefix("torch.")


def _name(fn: object) -> str:
    if isinstance(fn, nn.Module):
        return type(fn).__name__
    return str(getattr(fn, "__name__", type(fn).__name__))


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
