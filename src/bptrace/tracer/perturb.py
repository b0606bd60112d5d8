"""Other versions of a traced MLP: weights, biases, inputs (and value targets) moved at random
with a fixed generator, each retraced with torch, so a learner's formula is judged on more than
one point (a number pasted in, or a coincidence, is caught)."""

from __future__ import annotations

import torch
from torch import nn

from bptrace.model.network import LossInfo
from bptrace.model.trace import Trace
from bptrace.tracer.build import activation_module
from bptrace.tracer.mlp import trace_mlp

VERSIONS = 4
SPREAD = 0.3


def loss_module(loss: LossInfo) -> nn.Module:
    if loss.name == "mse":
        return nn.MSELoss(reduction=loss.reduction)
    if loss.name == "l1":
        return nn.L1Loss(reduction=loss.reduction)
    if loss.name == "smooth_l1":
        return nn.SmoothL1Loss(reduction=loss.reduction, beta=float(loss.beta or 1.0))
    if loss.name == "bce":
        return nn.BCELoss(reduction=loss.reduction)
    return nn.CrossEntropyLoss(reduction=loss.reduction)


def _moved(values: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    noise = torch.randn(values.shape, generator=gen, dtype=torch.float64)
    return values + SPREAD * noise * values.abs().clamp(min=0.3)


def version(tr: Trace, gen: torch.Generator) -> Trace:
    """One randomly moved copy of ``tr``'s network, traced (float64)."""
    net = tr.network
    blocks: list[nn.Module] = []
    for k, layer in enumerate(tr.layers):
        n_out, n_in = layer.weight.value.shape
        linear = nn.Linear(n_in, n_out, bias=layer.bias is not None, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(_moved(torch.tensor(layer.weight.value, dtype=torch.float64), gen))
            if layer.bias is not None:
                linear.bias.copy_(_moved(torch.tensor(layer.bias.value, dtype=torch.float64), gen))
        blocks.append(linear)
        act = net.activations[k]
        module = activation_module(act.name, float(act.negative_slope or 0.01))
        if module is not None:
            blocks.append(module)
    inputs = _moved(torch.tensor(tr.inputs, dtype=torch.float64), gen)
    targets = torch.tensor(tr.targets, dtype=torch.float64)
    if net.loss.target_kind == "indices":
        targets = targets.to(torch.long).reshape(-1)
    elif net.loss.name in ("mse", "l1", "smooth_l1"):
        targets = _moved(targets, gen)
    return trace_mlp(nn.Sequential(*blocks), inputs, targets, loss_module(net.loss), None, net.name)


def versions(tr: Trace, count: int = VERSIONS, seed: int = 0) -> list[Trace]:
    """``tr`` itself, then ``count`` moved versions of it (the same every time)."""
    gen = torch.Generator().manual_seed(seed)
    return [tr] + [version(tr, gen) for _ in range(count)]
