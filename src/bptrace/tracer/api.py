"""The public, torch-facing API: ``classic``, ``trace``, ``trace_any``, ``load_spec``, ``train``.

``trace`` is the per-neuron MLP trace. ``trace_any`` is the dispatch for any model: a plain
MLP (Linear layers and elementwise activations, a supported loss) gets the per-neuron
:class:`Trace`; anything else, or an MLP the per-neuron trace refuses, a per-module
:class:`~bptrace.model.modules.ModuleTrace`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.modules import ModuleTrace
from bptrace.model.quote import q
from bptrace.model.spec import Spec, read_spec
from bptrace.model.trace import Trace, Training
from bptrace.tracer.build import Example, build, classic
from bptrace.tracer.examples import MODULE_EXAMPLES, example
from bptrace.tracer.guards import (
    hook_reason,
    refuse_bad_lr,
    refuse_bad_name,
    refuse_complex,
    refuse_empty,
    refuse_inference,
)
from bptrace.tracer.losses import _LOSSES
from bptrace.tracer.mlp import trace_mlp
from bptrace.tracer.modules import Inputs, buffers_kept, trace_modules
from bptrace.tracer.train import Progress
from bptrace.tracer.train import train as _train

__all__ = [
    "classic",
    "load_spec",
    "trace",
    "trace_any",
    "train",
    "trace_example",
    "trace_example_any",
    "trace_file",
    "trace_spec",
]
AnyTrace = Trace | ModuleTrace
MLP_MODULES: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Sigmoid,
    nn.Tanh,
    nn.ReLU,
    nn.LeakyReLU,
    nn.Softmax,
    nn.Identity,
)


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
    if isinstance(model, nn.Module):  # its parameters and buffers: in trace_mlp's survey
        refuse_inference(model, inputs, targets, walk=False)
    refuse_bad_lr(lr)
    refuse_bad_name(name)
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
    refuse_bad_lr(lr)
    return _train(model, inputs, targets, loss_fn, lr, epochs, progress=progress)


def looks_like_mlp(model: nn.Module, inputs: object, loss_fn: object) -> bool:
    """Worth trying the per-neuron trace: only Linear layers and activations, 1-D/2-D input."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    return (
        isinstance(inputs, torch.Tensor)
        and inputs.dim() in (1, 2)
        and type(loss_fn) in _LOSSES
        and all(type(m) in MLP_MODULES for m in leaves)
        and any(isinstance(m, nn.Linear) for m in leaves)
    )


def trace_any(
    model: nn.Module,
    inputs: Inputs,
    targets: torch.Tensor,
    loss_fn: Callable[..., Any],
    lr: float | None = None,
    *,
    name: str | None = None,
) -> AnyTrace:
    """Trace any model: per neuron when it is a plain MLP, else per module call.

    An MLP that the per-neuron trace refuses (an unsupported loss option, say) is traced per
    module, with the reason in ``warnings``. Errors are those of the per-module trace. An MLP
    with backward hooks is traced per module at once (its forward runs once).
    """
    if isinstance(model, nn.Module):
        refuse_inference(model, inputs, targets)
    refuse_empty(inputs)
    refuse_bad_lr(lr)
    refuse_bad_name(name)
    refuse_complex(model, inputs)
    reason = None
    if looks_like_mlp(model, inputs, loss_fn):
        assert isinstance(inputs, torch.Tensor) and isinstance(loss_fn, nn.Module)
        reason = hook_reason(model)
    if reason is None and looks_like_mlp(model, inputs, loss_fn):
        assert isinstance(inputs, torch.Tensor) and isinstance(loss_fn, nn.Module)
        try:
            with buffers_kept(model):
                return trace_mlp(model, inputs, targets, loss_fn, lr, name)
        except BptraceError as exc:
            reason = str(exc)
    tr = trace_modules(model, inputs, targets, loss_fn, lr, name)
    if reason is not None:
        tr.refusal = _("no per-neuron view: {reason}").format(reason=reason)
        tr.warnings.append(tr.refusal)
    return tr


def trace_file(
    ref: str, state: str | Path | None = None, lr: float | None = None, *, epochs: int = 0
) -> AnyTrace:
    """``--model FILE.py:factory [--state FILE.pt]``: load (runs the file!) and trace."""
    from bptrace.tracer.usermodel import load_model

    model, inputs, targets, loss_fn = load_model(ref, state)
    name = ref if ref.isprintable() else q(ref)  # a path may hold a newline; a name may not
    tr = trace_any(model, inputs, targets, loss_fn, lr, name=name)
    if epochs:
        _train_or_refuse(tr, model, inputs, targets, loss_fn, lr, epochs, None, ref)
    return tr


def _train_or_refuse(
    tr: AnyTrace,
    model: nn.Module,
    inputs: Any,
    targets: torch.Tensor,
    loss_fn: Any,
    lr: float | None,
    epochs: int,
    progress: Progress | None,
    what: str,
) -> None:
    if not isinstance(tr, Trace):
        raise BptraceError(
            _("--epochs: training is available for MLPs only; {what} is not one").format(what=what)
        )
    if lr is None:
        raise BptraceError(_("--epochs: needs a learning rate (lr)"))
    tr.training = _train(model, inputs, targets, loss_fn, lr, epochs, progress=progress)


def trace_example_any(name: str, epochs: int = 0, progress: Progress | None = None) -> AnyTrace:
    """Trace any built-in example: per neuron when it is an MLP, else per module."""
    (model, inputs, targets, loss_fn), lr = example(name)
    tr = trace_any(model, inputs, targets, loss_fn, lr, name=name)
    if epochs:
        _train_or_refuse(tr, model, inputs, targets, loss_fn, lr, epochs, progress, name)
    return tr


def trace_example(name: str, epochs: int = 0, progress: Progress | None = None) -> Trace:
    """Trace a built-in MLP example (``--example NAME``), training it ``epochs`` steps if asked.

    Examples that are not MLPs (``small-cnn``) need :func:`trace_example_any`.
    """
    (model, inputs, targets, loss_fn), lr = example(name)
    if name in MODULE_EXAMPLES and not looks_like_mlp(model, inputs, loss_fn):
        raise BptraceError(
            _("example {name!r} is not an MLP: it is traced per module").format(name=name)
        )

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


ModelRef = tuple[str, str | None, float | None]  # --model FILE.py:FUNCTION, --state, --lr


def _network_of(
    spec: Spec | None, example_name: str | None, model_ref: ModelRef | None
) -> tuple[tuple[nn.Module, Any, torch.Tensor, Any], float | None, str]:
    """The torch network behind a spec, an example or a ``--model`` reference."""
    if model_ref is not None:
        from bptrace.tracer.usermodel import load_model

        ref, state, lr = model_ref
        return load_model(ref, state), lr, ref if ref.isprintable() else q(ref)
    if example_name is not None:
        net, lr = example(example_name)
        return net, lr, example_name
    assert spec is not None
    return build(spec), spec.lr, spec.name


def trace_modules_of(
    spec: Spec | None = None, example_name: str | None = None, model_ref: ModelRef | None = None
) -> ModuleTrace:
    """The per-module view (shapes, statistics, gradient health) of a spec's, an example's or
    a ``--model``'s network, even when it is an MLP: what the app's module screen shows."""
    (model, inputs, targets, loss_fn), lr, name = _network_of(spec, example_name, model_ref)
    return trace_modules(model, inputs, targets, loss_fn, lr, name)


def trace_head_of(
    spec: Spec | None = None, example_name: str | None = None, model_ref: ModelRef | None = None
) -> Trace:
    """The per-neuron view of the MLP head of a spec's, an example's or a ``--model``'s network."""
    from bptrace.tracer.head import trace_head

    (model, inputs, targets, loss_fn), lr, name = _network_of(spec, example_name, model_ref)
    return trace_head(model, inputs, targets, loss_fn, lr, name)
