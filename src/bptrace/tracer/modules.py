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

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.modules import ModelInfo, ModuleTrace
from bptrace.tracer.assemble import ParamSlot, Recorded
from bptrace.tracer.record import Recorder, WriteGuard, builtin, plain_tree, run_plain, wrapped

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
        raise BptraceError(
            _("the model ({type}) has no parameters to trace").format(type=type(model).__name__)
        )
    if not any(p.requires_grad for p in ps):
        raise BptraceError(
            _("no parameter of the model ({type}) requires grad: nothing to trace").format(
                type=type(model).__name__
            )
        )
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise BptraceError(_("lr: must be a positive number, got {lr}").format(lr=lr))
    copies = [x.detach().clone() for x in xs]
    for x in copies:
        if x.is_floating_point() or x.is_complex():
            x.requires_grad_(True)
    rec = Recorder()
    with model_kept(st) as saved, _seeded(ps), torch.enable_grad():
        output = _forward(model, st, rec, copies)
        rec.watching = False  # the loss rarely writes in place; rec.unseen() reports it if so
        loss = _loss(loss_fn, output, targets)
        trainable = [k for k, p in originals.items() if p.requires_grad]
        outputs, keys, edges = rec.outputs()
        grads = torch.autograd.grad(
            loss,
            [*(x for x in copies if x.requires_grad), *(originals[k] for k in trainable), *edges],
            allow_unused=True,
        )
    recorded = Recorded(
        st.named,
        st.params,
        rec.calls,
        outputs,
        keys,
        grads,
        copies,
        list(originals),
        saved,
        trainable,
        targets.detach().clone(),  # the caller's: it may change
        lr,
    )
    info = ModelInfo(name, type(model).__name__, _name(loss_fn), _dtype(ps[0]), lr)
    warnings = _warnings(model, st.named)
    changed = rec.unseen()
    if changed:
        warnings.append(
            _(
                "a recorded output was changed in place by an operation bptrace could not see "
                "({names}): its statistics and gradient are of the changed value"
            ).format(names=", ".join(dict.fromkeys(changed)))
        )
    return ModuleTrace.deferred(info, float(loss.detach()), warnings, recorded.build)


@contextmanager
def _seeded(ps: list[nn.Parameter]) -> Iterator[None]:
    """Every random generator seeded with 0 for the pass, and put back as it was after."""
    if all(p.is_cpu for p in ps):
        generator = torch.default_generator
        state = generator.get_state()
        try:
            generator.manual_seed(0)  # what torch.manual_seed(0) does for the CPU
            yield
        finally:
            generator.set_state(state)
    else:
        with torch.random.fork_rng():  # the CPU's and every CUDA device's
            torch.manual_seed(0)
            yield


def _forward(model: nn.Module, st: Structure, rec: Recorder, copies: list[torch.Tensor]) -> Any:
    """Run the model on the input copies, every module call recorded."""
    guard = WriteGuard(rec)
    try:
        if len(copies) == 1 and plain_tree(st.named):
            paths = {id(m): path for path, m in st.named}
            return run_plain(rec, model, copies[0], paths, guard)
        with wrapped(rec, st.named, guard), guard:
            return model(*copies)
    except BptraceError:
        raise
    except Exception as exc:
        raise BptraceError(
            _("the model's forward pass failed: {reason}").format(reason=_describe(exc))
        ) from None


@dataclass
class Structure:
    """What ``named_modules``, ``named_parameters`` and ``named_buffers`` give, in their order,
    found in one walk. ``params`` lists every parameter slot (module path, module, name,
    parameter), shared parameters at each place; ``originals`` each parameter once, by its
    full name."""

    named: list[tuple[str, nn.Module]]
    originals: dict[str, nn.Parameter]
    params: list[ParamSlot]
    buffers: list[tuple[nn.Module, str, torch.Tensor]]


def _structure(model: nn.Module) -> Structure:
    named: list[tuple[str, nn.Module]] = []
    originals: dict[str, nn.Parameter] = {}
    params: list[ParamSlot] = []
    buffers: list[tuple[nn.Module, str, torch.Tensor]] = []
    seen: set[int] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:  # depth first, children in order, each module once: named_modules()
        path, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        named.append((path, m))
        prefix = f"{path}." if path else ""
        if m._parameters:
            for k, p in m._parameters.items():
                if p is not None:
                    params.append((path, m, k, p))
                    if id(p) not in seen:  # parameters and modules never share an id
                        seen.add(id(p))
                        originals[f"{prefix}{k}"] = p
        if m._buffers:
            buffers.extend((m, k, b) for k, b in m._buffers.items() if b is not None)
        if m._modules:
            stack.extend(
                (f"{prefix}{k}", c) for k, c in reversed(m._modules.items()) if c is not None
            )
    return Structure(named, originals, params, buffers)


BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
RUNNING = frozenset({"running_mean", "running_var", "num_batches_tracked"})


@contextmanager
def model_kept(st: Structure) -> Iterator[list[torch.Tensor]]:
    """The pass runs on the model's own parameters and buffers, and leaves them as they were.

    When every module is one of torch's own (no code of the user's runs, so nothing else
    reads them), batch norm's running statistics (``nn.BatchNorm1d/2d/3d``) are not copied:
    in train mode they are set aside for the pass (batch norm then normalises by the batch's
    statistics, as it does in train mode anyway, and updates nothing); in eval mode batch
    norm only reads them. Every other buffer is swapped for a copy during the pass. On exit every buffer is put back, any
    parameter replaced is put back and any written in place gets its values back. Yields a
    copy of every parameter (in ``st.originals`` order), taken before the pass."""
    versions = [p._version for *_slot, p in st.params]
    swaps: list[tuple[dict[str, Any], str, torch.Tensor, torch.Tensor | None]] = []
    with torch.no_grad():
        saved = [p.clone() for p in st.originals.values()]
        copies: dict[int, torch.Tensor] = {}
        torchs_own = all(builtin(m) for _path, m in st.named)
        for m, k, b in st.buffers:
            if torchs_own and type(m) in BATCH_NORMS and k in RUNNING:
                if m.training:
                    swaps.append((m._buffers, k, b, None))
            else:
                if id(b) not in copies:
                    copies[id(b)] = b.clone()
                swaps.append((m._buffers, k, b, copies[id(b)]))
    try:
        for d, k, _old, stand_in in swaps:
            d[k] = stand_in
        yield saved
    finally:
        with torch.no_grad():
            for d, k, b, _new in swaps:
                d[k] = b
            by_id = {id(p): c for p, c in zip(st.originals.values(), saved, strict=True)}
            for (_path, m, k, p), v in zip(st.params, versions, strict=True):
                d = m._parameters
                if d.get(k) is not p:
                    d[k] = p
                if p._version != v:
                    p.copy_(by_id[id(p)])


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
        raise BptraceError(
            at + _("model must be a torch.nn.Module, got {type}").format(type=type(model).__name__)
        )
    xs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
    if (
        not isinstance(xs, (tuple, list))
        or not xs
        or not all(isinstance(x, torch.Tensor) for x in xs)
    ):
        raise BptraceError(
            at
            + _("inputs must be a tensor or a tuple of tensors, got {type}").format(
                type=type(inputs).__name__
            )
        )
    if not isinstance(targets, torch.Tensor):
        raise BptraceError(
            at + _("targets must be a tensor, got {type}").format(type=type(targets).__name__)
        )
    if not callable(loss_fn):
        raise BptraceError(
            at + _("loss_fn must be callable, got {type}").format(type=type(loss_fn).__name__)
        )
    return tuple(xs)


def _loss(loss_fn: Callable[..., Any], output: Any, targets: torch.Tensor) -> torch.Tensor:
    name = _name(loss_fn)
    if isinstance(loss_fn, ELEMENTWISE_LOSSES):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        if shape != tuple(targets.shape):
            raise BptraceError(
                _(
                    "targets have shape {shape} but the model's output has shape "
                    "{output}; {loss} needs them equal"
                ).format(
                    shape=tuple(targets.shape),
                    output=shape if shape is not None else type(output).__name__,
                    loss=name,
                )
            )
    try:
        loss = loss_fn(output, targets)
    except BptraceError:
        raise
    except Exception as exc:
        raise BptraceError(
            _("the loss ({name}) failed: {reason}").format(name=name, reason=_describe(exc))
        ) from None
    if not isinstance(loss, torch.Tensor):
        raise BptraceError(
            _("the loss ({name}) returned {type}, not a tensor").format(
                name=name, type=type(loss).__name__
            )
        )
    if loss.numel() != 1 or loss.dim() != 0:
        raise BptraceError(
            _(
                "the loss ({name}) is not a scalar (shape {shape}); use reduction='mean' or 'sum'"
            ).format(name=name, shape=tuple(loss.shape))
        )
    if not loss.requires_grad:
        raise BptraceError(
            _("the loss ({name}) does not depend on any parameter that requires grad").format(
                name=name
            )
        )
    return loss


def _warnings(model: nn.Module, named: list[tuple[str, nn.Module]]) -> list[str]:
    out = []
    if model.training:
        kinds = sorted(
            {
                type(m).__name__
                for _path, m in named
                if isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm))
            }
        )
        if kinds:
            out.append(
                _(
                    "the model is in train mode ({kinds}): dropout draws from a generator "
                    "seeded with 0 and batch norm uses the batch's statistics; running statistics "
                    "are left untouched"
                ).format(kinds=", ".join(kinds))
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
