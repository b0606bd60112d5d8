"""The public, torch-facing API: ``classic``, ``trace``, ``load_spec``, ``train``."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from bptrace.model.spec import Spec, read_spec
from bptrace.model.trace import Trace, Training
from bptrace.tracer.build import Example, build, classic
from bptrace.tracer.examples import example
from bptrace.tracer.mlp import trace_mlp
from bptrace.tracer.train import Progress
from bptrace.tracer.train import train as _train

__all__ = ["classic", "load_spec", "trace", "train", "trace_example", "trace_spec"]


def trace(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: nn.Module,
    lr: float | None = None,
    *,
    name: str | None = None,
) -> Trace:
    """One forward and one backward pass of ``model`` with hooks: every value and gradient.

    With ``lr``, each parameter's value after one SGD step is recorded too. The model is left
    exactly as it was: no hooks, same parameters, same ``.grad``, same train/eval mode.
    """
    return trace_mlp(model, inputs, targets, loss_fn, lr, name)


def load_spec(path: str | Path) -> tuple[nn.Module, torch.Tensor, torch.Tensor, nn.Module, Spec]:
    """Read a TOML spec: ``(model, inputs, targets, loss_fn, options)``."""
    spec = read_spec(path)
    model, inputs, targets, loss_fn = build(spec)
    return model, inputs, targets, loss_fn, spec


def train(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss_fn: nn.Module,
    lr: float,
    epochs: int,
    progress: Progress | None = None,
) -> Training:
    """``epochs`` steps of plain SGD on a copy of ``model``; the loss curve and final state."""
    return _train(model, inputs, targets, loss_fn, lr, epochs, progress=progress)


def trace_example(name: str, epochs: int = 0, progress: Progress | None = None) -> Trace:
    """Trace a built-in example (``--example NAME``), training it ``epochs`` steps if asked."""
    (model, inputs, targets, loss_fn), lr = example(name)
    tr = trace_mlp(model, inputs, targets, loss_fn, lr, name)
    if epochs:
        tr.training = _train(model, inputs, targets, loss_fn, lr, epochs, progress=progress)
    return tr


def trace_spec(spec: Spec, epochs: int = 0, progress: Progress | None = None) -> Trace:
    """Trace a spec's network (with its lr), training it ``epochs`` steps if asked."""
    model, inputs, targets, loss_fn = build(spec)
    tr = trace_mlp(model, inputs, targets, loss_fn, spec.lr, spec.name)
    if epochs:
        tr.training = _train(model, inputs, targets, loss_fn, spec.lr, epochs, progress=progress)
    return tr


__all__ += ["Example"]
