"""Trace one forward and one backward pass of an MLP into a :class:`~bptrace.model.trace.Trace`.

The model's own parameters are never changed: the pass runs the model as it is, gradients come
from ``torch.autograd.grad`` (nothing accumulates into ``.grad``), and the trace keeps copies of
the parameters taken just before the pass.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext

import numpy as np
import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.network import Activation, LossInfo, NetworkInfo
from bptrace.model.trace import Trace
from bptrace.tracer.capture import Event, Recorder, recording
from bptrace.tracer.direct import Survey, run_direct, survey
from bptrace.tracer.guards import refuse_empty, refuse_inference_in
from bptrace.tracer.losses import loss_info
from bptrace.tracer.mlp_layers import (
    LayerCall,
    Pair,
    as_matrix,
    input_grad_later,
    layers,
    wanted,
)

IDENTITY = Activation("identity")


def _structure(events: list[Event], x: torch.Tensor, output: torch.Tensor) -> list[LayerCall]:
    """Check the recorded calls form a chain Linear → activation → Linear → ... ending in the output."""
    layers: list[LayerCall] = []
    expected, i = x, 0
    while i < len(events):
        ev = events[i]
        if ev.kind != "linear":
            raise BptraceError(
                _("activation {where!r} does not follow a Linear layer (not a plain MLP)").format(
                    where=ev.where
                )
            )
        if ev.inp is not expected:
            raise BptraceError(
                (
                    _("Linear layer {where!r} does not take the model's input (not a plain MLP)")
                    if not layers
                    else _(
                        "Linear layer {where!r} does not take the previous layer's output "
                        "(not a plain MLP)"
                    )
                ).format(where=ev.where)
            )
        if ev.out.dim() == 0 or ev.out.shape[-1] == 0:  # no neuron to show, no formula
            raise BptraceError(
                _("Linear layer {where!r} has no outputs (out_features=0)").format(where=ev.where)
            )
        nxt = events[i + 1] if i + 1 < len(events) else None
        if nxt is not None and nxt.kind == "act" and nxt.inp is ev.out:
            assert nxt.act is not None
            layers.append(LayerCall(ev, nxt.act, nxt))
            i += 2
        else:
            layers.append(LayerCall(ev, IDENTITY, ev))
            i += 1
        expected = layers[-1].post.out
    if not layers:
        raise BptraceError(_("the model has no nn.Linear layer to trace"))
    if output is not expected:
        raise BptraceError(_("the model's output is not the last layer's output (not a plain MLP)"))
    return layers


def _check_inputs(
    model: nn.Module, params: dict[str, nn.Parameter], inputs: object, targets: object
) -> torch.dtype:
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise BptraceError(_("inputs and targets must be torch tensors"))
    if not params:
        raise BptraceError(_("the model has no parameters to trace"))
    dtype = next(iter(params.values())).dtype
    if dtype not in (torch.float16, torch.float32, torch.float64):  # what numpy can hold
        raise BptraceError(
            _(
                "the model's parameters are {dtype}; bptrace traces float16, float32 and "
                "float64 models (convert it with model.double() or model.float())"
            ).format(dtype=str(dtype).removeprefix("torch."))
        )
    if inputs.dtype != dtype:
        raise BptraceError(
            _("inputs are {dtype} but the model's parameters are {want}").format(
                dtype=inputs.dtype, want=dtype
            )
        )
    if inputs.dim() not in (1, 2):
        raise BptraceError(
            _("MLP inputs must be one sample or a batch (1-D or 2-D), got shape {shape}").format(
                shape=tuple(inputs.shape)
            )
        )
    refuse_empty(inputs)
    return dtype


def trace_mlp(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: nn.Module,
    lr: float | None = None,
    name: str | None = None,
) -> Trace:
    """Run one forward and backward pass with hooks; return every value and gradient."""
    if not isinstance(model, nn.Module):
        raise BptraceError(
            _("model must be a torch.nn.Module, got {type}").format(type=type(model).__name__)
        )
    # worked out in one walk, used by the run and the recording: the modules, parameters,
    # module paths, a plain Sequential tree, and (with no hook) run child by child
    found = survey(model)
    if found.inference:
        refuse_inference_in(model)
    params = found.params
    dtype = _check_inputs(model, params, inputs, targets)
    frozen = [p for p in params.values() if not p.requires_grad]
    # ∂loss/∂inputs is one more matrix product; for a plain Sequential chain it is exactly
    # ∂loss/∂l(layer 1) · W1, which the trace computes when first read (input_grad_ below)
    lazy_input = found.direct and inputs.dim() == 2
    x = inputs.detach().clone()
    if not lazy_input:
        x.requires_grad_(True)
    try:
        for p in frozen:  # frozen parameters get a gradient too (shown, never applied)
            p.requires_grad_(True)
        # the parameters' snapshots, taken before the run: the trace must not change if the
        # model trains on (a reference and a version check would not do: a write through
        # ``p.data`` does not move ``p._version``; nor would a copy-on-write clone: the
        # caller's own numpy views of the model would stop following it); copied now, while
        # the forward pass is about to read them anyway, they cost less than after the
        # backward pass; straight into numpy, where the trace keeps them (one call, not three)
        snaps = {id(p): p.numpy(force=True).copy() for p in params.values()}
        with nullcontext() if torch.is_grad_enabled() else torch.enable_grad():
            calls, pairs, output, loss, info, got = _run(model, found, x, targets, loss_fn)
    finally:
        for p in frozen:
            p.requires_grad_(False)
    notes: list[str] = []
    grads = iter(got)  # in the order mlp_layers.wanted asked for them
    traced = layers(calls, pairs, grads, snaps, (found.paths, notes), lr)
    sizes = [call_in(calls[0])] + [c.linear.out.shape[-1] for c in calls]
    out2 = traced[-1].post  # the model's output (checked by _structure), as a matrix
    t = targets.numpy(force=True)
    t2 = (  # a copy either way: the caller's targets may change in place after the trace
        t.reshape(-1, 1).astype(np.float64)
        if info.target_kind == "indices"
        else t.reshape(out2.shape).copy()
    )
    network = NetworkInfo(
        sizes=tuple([int(s) for s in sizes]),
        activations=tuple([c.act for c in calls]),
        loss=info,
        batch=out2.shape[0],
        dtype=str(dtype).removeprefix("torch."),
        lr=lr,
        name=name,
        has_bias=tuple([layer.bias is not None for layer in traced]),
    )
    input_grad: np.ndarray | Callable[[], np.ndarray]
    if lazy_input:
        input_grad = input_grad_later(traced[0])
    else:
        last = next(grads, None)  # the input's, asked for last
        input_grad = as_matrix(torch.zeros_like(x) if last is None else last)
    tr = Trace(network, as_matrix(x), input_grad, t2, loss.item(), traced)
    tr.warnings.extend(notes)
    return tr


Got = tuple[torch.Tensor | None, ...]  # the gradients, in the order mlp_layers.wanted asks


def _run(
    model: nn.Module,
    found: Survey,
    x: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: nn.Module,
) -> tuple[list[LayerCall], list[Pair], torch.Tensor, torch.Tensor, LossInfo, Got]:
    """Forward with the recorder, the loss, and one ``torch.autograd.grad`` for everything.

    Gradients go straight to us (nothing accumulates into ``.grad``): of the input, of every
    parameter, and of every recorded output not already hooked before an in-place change.
    """
    params = found.params
    try:
        if found.direct:  # a plain Sequential tree with no hook: run child by child
            rec = Recorder(track_depth=False)
            rec.direct = True
            output = run_direct(rec, model, x, found.paths)
        else:
            with recording(found.modules, found.plain) as rec:
                output = model(x)
    except BptraceError:
        raise
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        raise BptraceError(
            _("the model's forward pass failed: {reason}").format(reason=_first_line(exc))
        ) from None
    if not isinstance(output, torch.Tensor):
        raise BptraceError(
            _("the model returned {type}, not a tensor").format(type=type(output).__name__)
        )
    calls = _structure(rec.events, x, output)
    if rec.overwritten():
        raise BptraceError(
            _(
                "the output of {where!r} was changed in place by an operation "
                "bptrace cannot see; use a module with inplace=True or an out-of-place op"
            ).format(where=rec.overwritten()[0])
        )
    info = loss_info(loss_fn, output, targets)
    try:
        loss = loss_fn(output, targets)
    except (RuntimeError, ValueError) as exc:
        raise BptraceError(_("the loss failed: {reason}").format(reason=_first_line(exc))) from None
    if loss.dim() != 0:
        raise BptraceError(
            _("the loss is not a scalar (shape {shape})").format(shape=tuple(loss.shape))
        )
    pairs = _own_params(calls, params)
    owned = {id(p) for pair in pairs for p in pair if p is not None}
    if len(owned) != len(params):
        stray = sorted(key for key, p in params.items() if id(p) not in owned)
        raise BptraceError(
            _("parameter {name!r} does not belong to a traced Linear layer").format(name=stray[0])
        )
    got = torch.autograd.grad(loss, wanted(calls, pairs, x), allow_unused=True)
    return calls, pairs, output, loss, info, got


def _own_params(calls: list[LayerCall], params: dict[str, nn.Parameter]) -> list[Pair]:
    """Each traced Linear layer's own (weight, bias); refused if a layer has no weight or
    two layers share a parameter (tied weights: autograd's gradient would be the sum over
    both uses, not the layer's own)."""
    pairs: list[Pair] = []
    seen: set[int] = set()
    for call in calls:
        module = call.linear.module
        own = module._parameters if module is not None else {}
        weight, bias = own.get("weight"), own.get("bias")
        if weight is None:
            raise BptraceError(
                _("Linear layer {where!r} has no weight").format(where=call.linear.where)
            )
        for p in (weight, bias):
            if p is not None and id(p) in seen:
                name = next(key for key, q in params.items() if q is p)
                raise BptraceError(
                    _(
                        "parameter {name!r} is used by more than one Linear layer (tied "
                        "weights): the per-neuron trace needs each layer's own parameters"
                    ).format(name=name)
                )
            if p is not None:
                seen.add(id(p))
        pairs.append((weight, bias))
    return pairs


def call_in(call: LayerCall) -> int:
    return int(call.linear.inp.shape[-1])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def owned_path(model: nn.Module, module: nn.Module | None) -> str:
    """The dotted prefix (``"0."``, ``"fc1."`` or ``""``) of a module's parameters in ``model``."""
    for path, m in model.named_modules():
        if m is module:
            return f"{path}." if path else ""
    raise BptraceError(_("a traced Linear layer is not a submodule of the model"))
