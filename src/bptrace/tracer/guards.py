"""Checks made before a model runs: what would make a trace fail or mislead, said plainly.

- Tensors made under ``torch.inference_mode()`` cannot take part in autograd: torch's own
  message ("Inference tensors do not track version counter") does not say what to do.
- Backward hooks (``register_full_backward_hook``, ``register_full_backward_pre_hook``) make
  torch wrap a module's inputs and outputs in extra autograd nodes, and a forward hook on a
  leaf module may replace its output: the per-neuron view cannot follow the values through
  them. Found before the model runs, so the user's forward runs once, traced per module.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn.modules import module as module_globals

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import q

_WHAT_TO_DO = N_(
    "create them outside `with torch.inference_mode():` (or use `torch.no_grad()` there), "
    "or pass a copy made outside it (`t.clone()`)"
)


def refuse_inference(model: nn.Module, *tensors: Any, walk: bool = True) -> None:
    """A clear error when tracing is asked under inference mode, or of inference tensors
    (of the model's own only with ``walk``: the MLP trace looks at them in the one pass of
    its survey of the model, and calls :func:`refuse_inference_in` if it finds one)."""
    if torch.is_inference_mode_enabled():
        raise BptraceError(
            _(
                "bptrace was called inside torch.inference_mode(): autograd is off there, so no "
                "gradient can be traced; call it outside the `with` block"
            )
        )
    if walk and any(  # a quick look, paid by every trace; the names only when one is found
        t is not None and t.is_inference()
        for m in model.modules()
        for t in (*m._parameters.values(), *m._buffers.values())
    ):
        refuse_inference_in(model)
    for what, t in zip((N_("inputs"), N_("targets")), tensors, strict=False):
        if isinstance(t, torch.Tensor) and t.is_inference():
            raise BptraceError(
                _(
                    "the {what} were created under torch.inference_mode(), so autograd cannot "
                    "use them: {what_to_do}"
                ).format(what=_(what), what_to_do=_(_WHAT_TO_DO))
            )


def refuse_bad_lr(lr: object) -> None:
    """A clear error for a learning rate that is not a positive finite number (None: no
    step): what the CLI and the spec file already refuse, and what the trace's JSON could
    not hold."""
    if lr is None:
        return
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not math.isfinite(lr) or lr <= 0:
        raise BptraceError(_("lr must be a positive finite number, got {value!r}").format(value=lr))


def refuse_bad_name(name: object) -> None:
    """A clear error for a trace's name that its JSON could not be read back with (the file
    check refuses a name that is not a string or holds control characters)."""
    if name is not None and (not isinstance(name, str) or not name.isprintable()):
        raise BptraceError(
            _("name must be a string of printable characters, got {value}").format(value=q(name))
        )


def refuse_complex(model: object, inputs: object) -> None:
    """A clear error for complex numbers: the trace's arrays and the JSON hold real numbers,
    and numpy conversion would drop the imaginary parts (with only torch's warning)."""
    tensors = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    if isinstance(model, nn.Module):
        tensors += [*model.parameters(), *model.buffers()]
    for t in tensors:
        if isinstance(t, torch.Tensor) and t.is_complex():
            raise BptraceError(
                _(
                    "complex tensors are not supported ({dtype}): bptrace traces real numbers"
                ).format(dtype=str(t.dtype).removeprefix("torch."))
            )


def refuse_empty(inputs: object) -> None:
    """A clear error for an empty batch: the loss of no sample is nan, and no step has a
    term to show (a tensor, or any tensor among several inputs)."""
    for t in inputs if isinstance(inputs, (tuple, list)) else (inputs,):
        if isinstance(t, torch.Tensor) and not t.numel():
            raise BptraceError(
                _(
                    "the inputs are empty (shape {shape}): a trace needs at least one sample "
                    "with at least one feature"
                ).format(shape=tuple(t.shape))
            )


def refuse_inference_in(model: nn.Module) -> None:
    """The error naming the first of ``model``'s parameters and buffers made under inference
    mode, if one was."""
    for name, p in [*model.named_parameters(), *model.named_buffers()]:
        if p.is_inference():
            raise BptraceError(
                _(
                    "the model's {name} was created under torch.inference_mode(), so autograd "
                    "cannot trace it: {what_to_do}"
                ).format(name=name, what_to_do=_(_WHAT_TO_DO))
            )


def hook_reason(model: nn.Module) -> str | None:
    """Why the per-neuron view cannot be made because of the user's module hooks, if it cannot."""
    if module_globals._global_backward_hooks or module_globals._global_backward_pre_hooks:
        return _(
            "a global module backward hook is registered (torch.nn.modules.module."
            "register_module_full_backward_hook): torch wraps every module's inputs and outputs"
            " for it, so values cannot be followed neuron by neuron"
        )
    for path, m in model.named_modules():
        where = repr(path) if path else ""
        if m._backward_hooks or m._backward_pre_hooks:
            pre = bool(m._backward_pre_hooks)
            kind, call = (
                (_("backward pre-hook"), "register_full_backward_pre_hook")
                if pre
                else (
                    _("backward hook"),
                    "register_full_backward_hook",
                )
            )
            return _(
                "module {where} has a {kind} ({call}): torch "
                "wraps its inputs and outputs for it, so values cannot be followed neuron by neuron"
            ).format(where=where or _("(the model)"), kind=kind, call=call)
        if path and m._forward_hooks and next(m.children(), None) is None:
            return _(
                "module {where} has a forward hook, which may replace its output: values cannot "
                "be followed neuron by neuron"
            ).format(where=where or _("(the model)"))

    return None
