"""Torch networks from specs: the classic 2-2-2 network, and any spec file."""

from __future__ import annotations

import math

import torch
from torch import nn

from bptrace.model.spec import CLASSIC_TEXT, Spec, parse_spec_text

DTYPE = torch.float64
Example = tuple[nn.Module, torch.Tensor, torch.Tensor, nn.Module]


def activation_module(name: str, negative_slope: float) -> nn.Module | None:
    """The nn module for an activation name (None for identity)."""
    if name == "sigmoid":
        return nn.Sigmoid()
    if name == "tanh":
        return nn.Tanh()
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    if name == "softmax":
        return nn.Softmax(dim=-1)
    return None


def loss_module(spec: Spec) -> nn.Module:
    if spec.loss == "mse":
        return nn.MSELoss(reduction=spec.reduction)
    if spec.loss == "l1":
        return nn.L1Loss(reduction=spec.reduction)
    if spec.loss == "smooth_l1":
        return nn.SmoothL1Loss(reduction=spec.reduction, beta=spec.beta)
    if spec.loss == "bce":
        return nn.BCELoss(reduction=spec.reduction)
    return nn.CrossEntropyLoss(reduction=spec.reduction)


def build(spec: Spec) -> Example:
    """An ``nn.Sequential`` of Linear + activation blocks, float64, as the spec says."""
    gen = torch.Generator().manual_seed(spec.seed)
    blocks: list[nn.Module] = []
    depth = len(spec.layers) - 1
    for k in range(depth):
        linear = nn.Linear(spec.layers[k], spec.layers[k + 1], dtype=DTYPE)
        bound = 1.0 / math.sqrt(spec.layers[k])
        with torch.no_grad():
            if spec.weights is not None:
                linear.weight.copy_(torch.tensor(spec.weights[k], dtype=DTYPE))
            else:
                linear.weight.uniform_(-bound, bound, generator=gen)
            if spec.biases is not None:
                linear.bias.copy_(torch.tensor(spec.biases[k], dtype=DTYPE))
            else:
                linear.bias.uniform_(-bound, bound, generator=gen)
        linear.bias.requires_grad_(spec.train_biases)
        blocks.append(linear)
        name = spec.activations[k] if k < depth - 1 else spec.output_activation
        act = activation_module(name, spec.negative_slope)
        if act is not None:
            blocks.append(act)
    model = nn.Sequential(*blocks)
    inputs = torch.tensor(spec.inputs, dtype=DTYPE)
    if spec.loss == "cross_entropy" and isinstance(spec.targets[0], int):
        targets = torch.tensor(spec.targets, dtype=torch.long)
    else:
        targets = torch.tensor(spec.targets, dtype=DTYPE)
    return model, inputs, targets, loss_module(spec)


def classic() -> Example:
    """The seed's 2-2-2 sigmoid network with MSE (Mazur's numbers), in float64."""
    return build(parse_spec_text(CLASSIC_TEXT, "classic"))
