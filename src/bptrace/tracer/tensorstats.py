"""Summary statistics of a tensor, computed by torch: what a module trace shows of each tensor."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from bptrace.model.modules import Stats


def tensor_stats(t: torch.Tensor) -> Stats:
    """Mean, population std, min, max, norm, fraction of exact zeros, NaN and inf counts."""
    x = t.detach()
    if not x.is_floating_point():
        x = x.double()
    elif x.dtype in (torch.float16, torch.bfloat16):
        x = x.float()
    n = x.numel()
    if n == 0:
        nan = math.nan
        return Stats(0, nan, nan, nan, nan, 0.0, 0.0)
    std, mean = torch.std_mean(x, correction=0)
    lo, hi = torch.aminmax(x)
    norm = torch.linalg.vector_norm(x)
    nonzero = torch.count_nonzero(x)
    mean_, std_, lo_, hi_, norm_ = torch.stack([mean, std, lo, hi, norm]).double().tolist()
    zeros = n - int(nonzero)
    nans = infs = 0
    if not all(math.isfinite(v) for v in (mean_, lo_, hi_, norm_)):  # NaN/inf reach these
        nans, infs = int(torch.isnan(x).sum()), int(torch.isinf(x).sum())
    return Stats(n, mean_, std_, lo_, hi_, norm_, zeros / n, nans, infs)


def dead_fraction(out: torch.Tensor) -> float:
    """The fraction of units (dimension 1, or the elements of a 1-D output) that are 0 everywhere."""
    x = out.detach()
    if x.dim() == 0 or x.numel() == 0:
        return 0.0
    if x.dim() == 1:
        return float((x == 0).double().mean())
    zero = x == 0
    for d in reversed([d for d in range(x.dim()) if d != 1]):
        zero = zero.all(dim=d)
    return float(zero.double().mean())


def elements(t: torch.Tensor) -> np.ndarray[Any, Any]:
    """The elements of ``t`` as a flat float64 array (a copy)."""
    return t.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()


DTYPE_NAMES: dict[torch.dtype, str] = {}


def dtype_name(dtype: torch.dtype) -> str:
    """``float64`` for ``torch.float64``."""
    name = DTYPE_NAMES.get(dtype)
    if name is None:
        name = DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name
