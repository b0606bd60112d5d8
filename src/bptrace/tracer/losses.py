"""Recognise a torch loss module and check the targets it is given."""

from __future__ import annotations

import math

import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.network import LossInfo

_NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)  # what a trace can hold
_LOSSES: dict[type[nn.Module], str] = {
    nn.MSELoss: "mse",
    nn.L1Loss: "l1",
    nn.SmoothL1Loss: "smooth_l1",
    nn.BCELoss: "bce",
    nn.CrossEntropyLoss: "cross_entropy",
}


def loss_info(loss_fn: object, output: torch.Tensor, targets: torch.Tensor) -> LossInfo:
    """Describe ``loss_fn`` and check ``targets`` against the model's ``output``."""
    name = _LOSSES.get(type(loss_fn))  # type: ignore[arg-type]
    if name is None:
        known = ", ".join(t.__name__ for t in _LOSSES)
        raise BptraceError(
            _("loss {loss} is not supported (supported: {known})").format(
                loss=type(loss_fn).__name__, known=known
            )
        )
    assert isinstance(loss_fn, nn.Module)
    if targets.is_floating_point() and targets.dtype not in _NUMPY_FLOATS:
        raise BptraceError(
            _(
                "targets are {dtype}; bptrace reads float16, float32 and float64 targets "
                "(convert them, e.g. targets.float())"
            ).format(dtype=str(targets.dtype).removeprefix("torch."))
        )
    reduction = getattr(loss_fn, "reduction", "mean")
    if reduction not in ("mean", "sum"):
        raise BptraceError(
            _(
                "loss reduction {reduction!r} is not supported: the loss must be a scalar "
                "(mean or sum)"
            ).format(reduction=reduction)
        )
    # the class weights are a buffer; read without nn.Module.__getattr__, which raises (slowly)
    # for the losses that have none
    if loss_fn._buffers.get("weight", loss_fn.__dict__.get("weight")) is not None:
        raise BptraceError(
            _("{loss} with class weights is not supported").format(loss=type(loss_fn).__name__)
        )
    if name == "cross_entropy":
        if loss_fn.label_smoothing != 0.0:  # type: ignore[operator]
            raise BptraceError(_("CrossEntropyLoss with label_smoothing is not supported"))
        return _cross_entropy(loss_fn, output, targets, reduction)
    if targets.shape != output.shape:
        raise BptraceError(
            _(
                "targets have shape {shape} but the model's output has shape "
                "{output}; {loss} needs them equal"
            ).format(
                shape=tuple(targets.shape), output=tuple(output.shape), loss=type(loss_fn).__name__
            )
        )
    if not targets.is_floating_point():
        raise BptraceError(
            _("{loss} needs floating-point targets, got {dtype}").format(
                loss=type(loss_fn).__name__, dtype=targets.dtype
            )
        )
    if name == "bce":
        if bool(((targets < 0) | (targets > 1)).any()):
            raise BptraceError(_("BCELoss targets must lie in [0, 1]"))
        if bool(((output < 0) | (output > 1)).any()):
            raise BptraceError(
                _("BCELoss needs outputs in [0, 1]: use a sigmoid output activation")
            )
    beta = float(loss_fn.beta) if name == "smooth_l1" else None  # type: ignore[arg-type]
    if beta is not None and not math.isfinite(beta):  # the trace's JSON holds finite numbers
        raise BptraceError(
            _("SmoothL1Loss's beta must be a finite number, got {beta}").format(beta=beta)
        )
    return LossInfo(name, reduction, beta, "values")


def _cross_entropy(
    loss_fn: nn.Module, output: torch.Tensor, targets: torch.Tensor, reduction: str
) -> LossInfo:
    if output.dim() not in (1, 2):
        raise BptraceError(
            _("CrossEntropyLoss: model output must be (batch, classes), got {shape}").format(
                shape=tuple(output.shape)
            )
        )
    batch_shape = output.shape[:-1]
    classes = output.shape[-1]
    if not targets.is_floating_point() and targets.dtype not in (torch.int64, torch.uint8):
        raise BptraceError(  # torch's cross_entropy takes class indices as int64 (or uint8)
            _(
                "CrossEntropyLoss class-index targets must be int64 (torch.long), got {dtype}: "
                "convert them with targets.long()"
            ).format(dtype=str(targets.dtype).removeprefix("torch."))
        )
    if not targets.is_floating_point():
        if targets.shape != batch_shape:
            raise BptraceError(
                _(
                    "CrossEntropyLoss class-index targets must have shape {want} "
                    "(one index per sample), got {shape}"
                ).format(want=tuple(batch_shape), shape=tuple(targets.shape))
            )
        if targets.numel():
            _check_indices(loss_fn, targets, classes)
        return LossInfo("cross_entropy", reduction, None, "indices")
    if targets.shape != output.shape:
        message = _(
            "CrossEntropyLoss probability targets must have the output's shape {want}, got {shape}"
        ).format(want=tuple(output.shape), shape=tuple(targets.shape))
        if targets.shape == batch_shape:  # class indices made as floats, by the look of it
            message += _(" (class indices must be integers: targets.long())")
        raise BptraceError(message)
    if targets.dtype != output.dtype:  # torch then works part of it in the targets' precision
        raise BptraceError(
            _(
                "CrossEntropyLoss probability targets are {dtype} but the model's output is "
                "{want}: convert them to {want} (e.g. targets.to(torch.{want}))"
            ).format(
                dtype=str(targets.dtype).removeprefix("torch."),
                want=str(output.dtype).removeprefix("torch."),
            )
        )
    return LossInfo("cross_entropy", reduction, None, "probabilities")


def _check_indices(loss_fn: nn.Module, targets: torch.Tensor, classes: int) -> None:
    """Every class index lies in 0..classes-1 and none is the loss's ``ignore_index`` (torch
    would leave that sample out of the loss and the mean; the formulas count every sample).
    Read as a Python list: right after the forward pass, torch's or numpy's reductions cost
    several times more for a batch's few indices (their code has left the caches)."""
    values = targets.reshape(-1).tolist()
    low, high = min(values), max(values)
    ignore = int(getattr(loss_fn, "ignore_index", -100))
    if low <= ignore <= high and ignore in values:
        raise BptraceError(
            _(
                "CrossEntropyLoss(ignore_index={index}) leaves out sample {sample}, whose "
                "target is {index}: the per-neuron trace counts every sample (drop the "
                "sample, or give the loss another ignore_index)"
            ).format(index=ignore, sample=values.index(ignore) + 1)
        )
    if low < 0 or high >= classes:
        raise BptraceError(
            _("CrossEntropyLoss class index out of range 0..{last}").format(last=classes - 1)
        )
