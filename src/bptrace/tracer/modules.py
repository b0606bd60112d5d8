"""Trace any ``nn.Module`` per module call into a :class:`~bptrace.model.modules.ModuleTrace`.

One forward pass is recorded per module call (``tracer/record.py``: a tree of plain
``nn.Sequential`` containers runs child by child without hooks; any other model runs with a
forward hook on every module, and a torch function mode that copies a recorded output just
before an in-place write would change it). One ``torch.autograd.grad`` call then gives
∂loss/∂input, ∂loss/∂parameter and ∂loss/∂output of every recorded output at once.

The pass keeps private tensors only (copies of the inputs, targets and parameters; the
outputs and gradients it made), so the caller may change its own tensors and model once the
trace is returned. The trace's objects and statistics are made from them when first read
(``tracer/assemble.py``; ``ModuleTrace.settle`` does it all at once); the values are those
the modules returned. A write to a recorded output nobody saw coming (``torch.ops.aten.*_``
called directly) is found by the tensor's version counter and named in the trace's warnings.

The model is never changed: the pass runs on its own parameters (any parameter replaced or
written in place is put back) and on copies of its buffers, swapped in for the pass (so
BatchNorm's running statistics stay as they were), gradients come from ``torch.autograd.grad``
(nothing accumulates into ``.grad``), the train/eval mode is left as it is, the global random
state is forked (dropout draws from a generator seeded with 0, so a trace is deterministic),
and every hook is removed in a ``finally``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from bptrace.model.errors import BptraceError
from bptrace.model.modules import ModelInfo, ModuleTrace
from bptrace.tracer.assemble import Node, Recorded
from bptrace.tracer.record import Recorder, WriteGuard, hooked, plain_tree, run_plain

ELEMENTWISE_LOSSES: tuple[type[nn.Module], ...] = (
    nn.MSELoss,
    nn.L1Loss,
    nn.SmoothL1Loss,
    nn.HuberLoss,
    nn.BCELoss,
    nn.BCEWithLogitsLoss,
)
Inputs = torch.Tensor | tuple[torch.Tensor, ...]


def trace_modules(
    model: nn.Module,
    inputs: Inputs,
    targets: torch.Tensor,
    loss_fn: Callable[..., Any],
    lr: float | None = None,
    name: str | None = None,
) -> ModuleTrace:
    """One forward and one backward pass, recorded per module call; the model is untouched."""
    xs = check_types(model, inputs, targets, loss_fn)
    st = _structure(model)
    originals = st.originals
    ps = list(originals.values())
    if not ps:
        raise BptraceError(f"the model ({type(model).__name__}) has no parameters to trace")
    if not any(p.requires_grad for p in ps):
        raise BptraceError(
            f"no parameter of the model ({type(model).__name__}) requires grad: nothing to trace"
        )
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise BptraceError(f"lr: must be a positive number, got {lr}")
    copies = [x.detach().clone() for x in xs]
    for x in copies:
        if x.is_floating_point() or x.is_complex():
            x.requires_grad_(True)
    rec = Recorder()
    with model_kept(st) as saved, torch.random.fork_rng(devices=[]), torch.enable_grad():
        if all(p.device.type == "cpu" for p in ps):
            torch.default_generator.manual_seed(0)  # what torch.manual_seed(0) does for the CPU
        else:
            torch.manual_seed(0)
        output = _forward(model, st, rec, copies)
        rec.live = []  # the loss rarely writes in place; the version check reports it if it does
        loss = _loss(loss_fn, output, targets)
        wanted = [x for x in copies if x.requires_grad]
        trainable = [k for k, p in originals.items() if p.requires_grad]
        slots = [s for s in rec.slots if s.edge is not None]
        grads = torch.autograd.grad(
            loss,
            [*wanted, *(originals[k] for k in trainable), *(s.edge for s in slots)],
            allow_unused=True,
        )
    n_in, n_params = len(wanted), len(trainable)
    for s, g in zip(slots, grads[n_in + n_params :], strict=True):
        if g is not None:
            s.grad, s.grad_version = g, g._version
    input_grads = iter(grads[:n_in])
    grad_of = dict(zip(trainable, grads[n_in : n_in + n_params], strict=True))
    recorded = Recorded(
        st.nodes,
        rec.records,
        rec.names(),
        rec.slots,
        [(x, next(input_grads) if x.requires_grad else None) for x in copies],
        [(k, saved[id(p)], grad_of.get(k), p.requires_grad) for k, p in originals.items()],
        targets.detach().clone(),  # the caller's: it may change
        lr,
    )
    info = ModelInfo(name, type(model).__name__, _name(loss_fn), _dtype(ps[0]), lr)
    warnings = _warnings(model, [n.module for n in st.nodes])
    changed = rec.unseen()
    if changed:
        warnings.append(
            f"a recorded output or gradient was changed in place by an operation bptrace "
            f"could not see ({', '.join(dict.fromkeys(changed))}): its statistics and gradient "
            "are of the changed value"
        )
    for s in rec.slots:
        if s.edge is s.tensor and isinstance(s.value, nn.Parameter):  # a module returned a
            s.snapshot()  # parameter: keep its value as it is now
    return ModuleTrace.deferred(info, float(loss.detach()), warnings, recorded.build)


def _forward(model: nn.Module, st: Structure, rec: Recorder, copies: list[torch.Tensor]) -> Any:
    """Run the model on the input copies, every module call recorded."""
    guard = WriteGuard(rec)
    try:
        if len(copies) == 1 and plain_tree([(n.path, n.module) for n in st.nodes]):
            paths = {id(n.module): n.path for n in st.nodes}
            return run_plain(rec, model, copies[0], paths, guard)
        with hooked(rec, [(n.path, n.module) for n in st.nodes]), guard:
            return model(*copies)
    except BptraceError:
        raise
    except Exception as exc:
        raise BptraceError(f"the model's forward pass failed: {_describe(exc)}") from None


@dataclass
class Structure:
    """What ``named_modules``, ``named_parameters`` and ``named_buffers`` give, in their order,
    found in one walk; ``params`` and ``buffers`` list every (module, name, tensor) slot."""

    nodes: list[Node]
    originals: dict[str, nn.Parameter]
    params: list[tuple[nn.Module, str, nn.Parameter]]
    buffers: list[tuple[nn.Module, str, torch.Tensor]]


def _structure(model: nn.Module) -> Structure:
    nodes: list[Node] = []
    originals: dict[str, nn.Parameter] = {}
    params: list[tuple[nn.Module, str, nn.Parameter]] = []
    buffers: list[tuple[nn.Module, str, torch.Tensor]] = []
    seen: set[int] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:  # depth first, children in order, each module once: named_modules()
        path, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        prefix = f"{path}." if path else ""
        children = list(m._modules.items())
        own = list(m._parameters.items())
        nodes.append(Node(path, m, children, own))
        for k, p in own:
            if p is not None:
                params.append((m, k, p))
                if id(p) not in seen:  # parameters and modules never share an id
                    seen.add(id(p))
                    originals[f"{prefix}{k}"] = p
        if m._buffers:
            buffers.extend((m, k, b) for k, b in m._buffers.items() if b is not None)
        if children:
            stack.extend((f"{prefix}{k}", c) for k, c in reversed(children) if c is not None)
    return Structure(nodes, originals, params, buffers)


@contextmanager
def model_kept(st: Structure) -> Iterator[dict[int, torch.Tensor]]:
    """The pass runs on the model's own parameters and on copies of its buffers (so batch
    norm's running statistics stay as they were): on exit every buffer is put back, any
    parameter replaced is put back and any written in place gets its values back. Yields a
    copy of every parameter (by ``id``), taken before the pass."""
    params: list[tuple[dict[str, Any], str, nn.Parameter]]
    params = [(m._parameters, k, p) for m, k, p in st.params]
    versions = [p._version for _, _, p in params]
    saved: dict[int, torch.Tensor] = {}
    buffers: list[tuple[dict[str, Any], str, torch.Tensor]]
    buffers = [(m._buffers, k, b) for m, k, b in st.buffers]
    with torch.no_grad():
        for _, _, p in params:
            if id(p) not in saved:
                saved[id(p)] = p.clone()
        copies: dict[int, torch.Tensor] = {}
        for _, _, b in buffers:
            if id(b) not in copies:
                copies[id(b)] = b.clone()
    try:
        for d, k, b in buffers:
            d[k] = copies[id(b)]
        yield saved
    finally:
        with torch.no_grad():
            for d, k, b in buffers:
                d[k] = b
            for (d, k, p), v in zip(params, versions, strict=True):
                if d.get(k) is not p:
                    d[k] = p
                if p._version != v:
                    p.copy_(saved[id(p)])


@contextmanager
def buffers_kept(model: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Copies of every buffer for the pass; any original buffer found changed is restored."""
    named = list(model.named_buffers())
    saved = {k: b.detach().clone() for k, b in named}
    versions = {k: b._version for k, b in named}
    try:
        yield {k: b.clone() for k, b in saved.items()}
    finally:
        with torch.no_grad():
            for k, b in model.named_buffers():
                if k in saved and b._version != versions[k]:
                    b.copy_(saved[k])


def check_types(
    model: object, inputs: object, targets: object, loss_fn: object, where: str = ""
) -> tuple[torch.Tensor, ...]:
    """Refuse a model, inputs, targets or loss of the wrong kind (the message names it, after
    ``where`` when given); the inputs as a tuple."""
    at = f"{where}: " if where else ""
    if not isinstance(model, nn.Module):
        raise BptraceError(f"{at}model must be a torch.nn.Module, got {type(model).__name__}")
    xs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
    if (
        not isinstance(xs, (tuple, list))
        or not xs
        or not all(isinstance(x, torch.Tensor) for x in xs)
    ):
        raise BptraceError(
            f"{at}inputs must be a tensor or a tuple of tensors, got {type(inputs).__name__}"
        )
    if not isinstance(targets, torch.Tensor):
        raise BptraceError(f"{at}targets must be a tensor, got {type(targets).__name__}")
    if not callable(loss_fn):
        raise BptraceError(f"{at}loss_fn must be callable, got {type(loss_fn).__name__}")
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


def _warnings(model: nn.Module, modules: list[nn.Module]) -> list[str]:
    out = []
    if model.training:
        kinds = sorted(
            {
                type(m).__name__
                for m in modules
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


def _dtype(p: torch.Tensor) -> str:
    return str(p.dtype).removeprefix("torch.")


def _name(fn: object) -> str:
    if isinstance(fn, nn.Module):
        return type(fn).__name__
    return str(getattr(fn, "__name__", type(fn).__name__))


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
