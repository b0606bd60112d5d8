"""The per-neuron view of a larger model's MLP head: the Linear (+ activation) layers that
end the model and feed the loss, traced like any MLP on the features they receive.

The head's gradients depend only on those features, the targets and the loss, so tracing
``nn.Sequential(head modules)`` on the captured features gives exactly the full model's
values and gradients for every neuron, weight and bias of the head (and ∂loss/∂features).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.trace import Trace
from bptrace.tracer.capture import _ACT_MODULES
from bptrace.tracer.mlp import trace_mlp
from bptrace.tracer.modules import buffers_kept

HEAD_TYPES: tuple[type[nn.Module], ...] = (nn.Linear, *_ACT_MODULES)


def find_head(model: nn.Module, inputs: Any) -> tuple[list[tuple[str, nn.Module]], torch.Tensor]:
    """The modules of the model's MLP head, in order, and the features they receive.

    Runs the model forward once (no grad, buffers restored, dropout seeded as the module
    tracer seeds it) with hooks on its leaf modules; the model is left as it was.
    """
    calls: list[tuple[str, nn.Module, Any, Any]] = []
    handles = []

    def hook(path: str) -> Any:
        return lambda module, args, out: calls.append(
            (path, module, args[0] if args else None, out)
        )

    try:
        for path, module in model.named_modules():
            if next(module.children(), None) is None and not isinstance(module, nn.Identity):
                handles.append(module.register_forward_hook(hook(path)))
        xs = inputs if isinstance(inputs, tuple) else (inputs,)
        with torch.no_grad(), buffers_kept(model), torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(0)
            output = model(*xs)
    finally:
        for handle in handles:
            handle.remove()
    start = len(calls)
    expected = output
    while start > 0:
        path, module, inp, out = calls[start - 1]
        if not isinstance(module, HEAD_TYPES) or out is not expected:
            break
        start -= 1
        expected = inp
    while start < len(calls) and not isinstance(calls[start][1], nn.Linear):
        start += 1  # a head starts with a Linear layer
    if start == len(calls) or not isinstance(calls[start][2], torch.Tensor):
        raise BptraceError("this model does not end in Linear layers feeding the loss: no MLP head")
    return [(path, module) for path, module, _, _ in calls[start:]], calls[start][2]


def trace_head(
    model: nn.Module,
    inputs: Any,
    targets: torch.Tensor,
    loss_fn: nn.Module,
    lr: float | None = None,
    name: str | None = None,
) -> Trace:
    """The per-neuron trace of the model's MLP head, on the features it receives."""
    modules, features = find_head(model, inputs)
    head = nn.Sequential(*(module for _, module in modules))
    where = modules[0][0] if len(modules) == 1 else f"{modules[0][0]}…{modules[-1][0]}"
    label = _("{model} head ({where})").format(model=name or type(model).__name__, where=where)
    return trace_mlp(head, features.detach().clone(), targets, loss_fn, lr, label)
