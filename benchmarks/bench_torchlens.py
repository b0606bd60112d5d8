"""TorchLens as a contender in bench_trace.py (when it is importable): trace, backward, zero."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def torchlens_run(case: Any, tl: Any) -> Callable[[], object]:
    """``torchlens.trace(model, x)`` saving every activation and gradient, then the backward."""
    opts = tl.options.CaptureOptions(save_grads=True)
    model, x, t, loss_fn = case.model, case.inputs, case.targets, case.loss_fn

    def run() -> object:
        log = tl.trace(model, x, capture=opts)
        out = log[log.output_layers[0]].out
        log.backward(loss_fn(out, t))
        model.zero_grad(set_to_none=True)
        return log

    return run


def import_torchlens() -> tuple[Any, str]:
    try:
        import torchlens as tl
    except ImportError as exc:
        return None, f"not importable here ({exc})"
    if not hasattr(tl, "trace"):
        return None, f"torchlens {getattr(tl, '__version__', '?')} has no torchlens.trace"
    return tl, f"torchlens {getattr(tl, '__version__', '?')}"
