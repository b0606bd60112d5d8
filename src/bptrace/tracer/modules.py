"""Trace any ``nn.Module`` per module call into a :class:`~bptrace.model.modules.ModuleTrace`.

A forward hook on every module (containers too) records each call: input shapes, each output
tensor (a reference, detached) and its gradient edge; one ``torch.autograd.grad`` call then gives
∂loss/∂input, ∂loss/∂parameter and ∂loss/∂output of every recorded output at once. A
tensor returned by several modules (a Sequential and its last child) is recorded once.

Statistics (and the elements kept for export) are computed when first read, not during the
pass (:class:`~bptrace.model.modules.TensorInfo`, ``ModuleTrace.settle``); the values are those
the modules returned. While the model runs, a :class:`WriteGuard` (a torch function mode) sees
every in-place torch operation coming (``nn.ReLU(inplace=True)``, ``out += identity``,
``x[i] = v``, ``out=``) and copies a recorded output just before it is overwritten. A write it
cannot see (``torch.ops.aten.*_`` called directly) is found afterwards by the tensor's version
counter and named in the trace's warnings. Parameters, inputs and targets are recorded from
private copies, so the caller may change its own tensors once the trace is returned.

The model is never changed: the pass runs on its own parameters (any parameter replaced or
written in place is put back) and on copies of its buffers, swapped in for the pass (so
BatchNorm's running statistics stay as they were), gradients come from ``torch.autograd.grad``
(nothing accumulates into ``.grad``), the train/eval mode is left as it is, the global random
state is forked (dropout draws from a generator seeded with 0, so a trace is deterministic),
and every hook is removed in a ``finally``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.autograd.graph import GradientEdge
from torch.overrides import TorchFunctionMode

from bptrace.model.errors import BptraceError
from bptrace.model.modules import (
    ROOT,
    TENSOR_LIMIT,
    TOTAL_LIMIT,
    ModelInfo,
    ModuleCall,
    ModuleNode,
    ModuleTrace,
    Pair,
    ParamInfo,
    Stats,
    TensorInfo,
)

DEAD_TYPES: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)
ELEMENTWISE_LOSSES: tuple[type[nn.Module], ...] = (
    nn.MSELoss,
    nn.L1Loss,
    nn.SmoothL1Loss,
    nn.HuberLoss,
    nn.BCELoss,
    nn.BCEWithLogitsLoss,
)
Inputs = torch.Tensor | tuple[torch.Tensor, ...]


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


@dataclass
class Budget:
    """How many elements may still be kept in full."""

    left: int = TOTAL_LIMIT

    def allows(self, n: int) -> bool:
        """Whether a tensor of ``n`` elements is kept (and if so, count it)."""
        if n > TENSOR_LIMIT or n > self.left:
            return False
        self.left -= n
        return True


DTYPE_NAMES: dict[torch.dtype, str] = {}


def _dtype_name(dtype: torch.dtype) -> str:
    name = DTYPE_NAMES.get(dtype)
    if name is None:
        name = DTYPE_NAMES[dtype] = str(dtype).removeprefix("torch.")
    return name


def _kept(t: torch.Tensor) -> np.ndarray[Any, Any]:
    return t.detach().to("cpu", torch.float64).reshape(-1).numpy().copy()


def _later(t: torch.Tensor, keep: bool) -> Callable[[], tuple[Stats, Any]]:
    """Statistics (and elements) of ``t`` as they are when first asked for."""

    def compute() -> tuple[Stats, Any]:
        with torch.no_grad():
            return tensor_stats(t), (_kept(t) if keep else None)

    return compute


class Slot:
    """One recorded output (shared by every call that returned it) and its gradient.

    ``value`` is the tensor itself until an in-place write to its storage is seen coming;
    then a copy taken just before (see :class:`WriteGuard`). ``version`` is its version
    counter when recorded: a change that went unseen is reported after the pass. ``edge`` is
    where ∂loss/∂output is read (the tensor's gradient edge when recorded, so a later in-place
    write does not change which value the gradient is of).
    """

    __slots__ = (
        "dtype",
        "edge",
        "grad",
        "grad_info",
        "grad_version",
        "info",
        "keep",
        "shape",
        "tensor",
        "value",
        "version",
    )

    def __init__(self, tensor: torch.Tensor, keep: bool) -> None:
        self.tensor = tensor  # held so its id is not reused while recording
        self.value = tensor.detach()
        self.version = tensor._version
        self.shape = tuple(tensor.shape)
        self.dtype = tensor.dtype
        self.keep = keep
        self.edge = _edge(tensor) if tensor.requires_grad else None
        self.info = TensorInfo(self.shape, _dtype_name(tensor.dtype), later=self._compute)
        self.grad: torch.Tensor | None = None
        self.grad_info: TensorInfo | None = None
        self.grad_version = 0

    def _compute(self) -> tuple[Stats, Any]:
        with torch.no_grad():
            return tensor_stats(self.value), (_kept(self.value) if self.keep else None)

    def dead(self) -> float:
        return dead_fraction(self.value)

    def snapshot(self) -> None:
        """Copy the value before it is overwritten (if it is still as recorded)."""
        if self.value._version == self.version:
            with torch.no_grad():
                self.value = self.value.clone()
            self.version = self.value._version


def _edge(t: torch.Tensor) -> Any:
    """Where autograd delivers ∂loss/∂``t`` (``t`` requires grad): the tensor itself for a
    leaf, else its gradient edge as it is now."""
    fn = t.grad_fn
    if fn is None:
        return t
    if isinstance(fn, torch._C._FunctionBase):  # a Python node: the edge must own the graph
        return torch.autograd.graph.get_gradient_edge(t)
    return GradientEdge(fn, t.output_nr, None)


class Recorder:
    """Forward hooks on every module; tensor hooks on every output."""

    def __init__(self) -> None:
        self.budget = Budget()
        self.calls: list[tuple[ModuleCall, list[Slot]]] = []
        self.counts: dict[str, int] = {}
        self.slots: dict[tuple[int, int], Slot] = {}
        self.watched: dict[int, list[Slot]] = {}  # storage address → slots still live

    def info(self, t: torch.Tensor) -> TensorInfo:
        """A tensor's info, its statistics deferred (``t`` must not change afterwards)."""
        keep = self.budget.allows(t.numel())
        return TensorInfo(tuple(t.shape), _dtype_name(t.dtype), later=_later(t.detach(), keep))

    def info_of(self, like: torch.Tensor, make: Callable[[], torch.Tensor]) -> TensorInfo:
        """The info of a tensor shaped like ``like``, made by ``make`` only when asked for."""
        keep = self.budget.allows(like.numel())

        def compute() -> tuple[Stats, Any]:
            with torch.no_grad():
                t = make()
                return tensor_stats(t), (_kept(t) if keep else None)

        return TensorInfo(tuple(like.shape), _dtype_name(like.dtype), later=compute)

    def slot(self, t: torch.Tensor) -> Slot:
        key = (id(t), t._version)
        found = self.slots.get(key)
        if found is not None and found.tensor is t:
            return found
        slot = Slot(t, self.budget.allows(t.numel()))
        self.slots[key] = slot
        address = _address(t)
        if address is not None:
            self.watched.setdefault(address, []).append(slot)
        return slot

    def before_write(self, t: torch.Tensor) -> None:
        """``t`` is about to be written in place: copy the recorded values it would change."""
        address = _address(t)
        if address is None:
            return
        for slot in self.watched.pop(address, ()):
            slot.snapshot()

    def make_hook(self, path: str) -> Callable[..., None]:
        base = path or ROOT
        counts = self.counts
        calls = self.calls

        def hook(
            module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any], out: Any
        ) -> None:
            index = counts.get(path, 0) + 1
            counts[path] = index
            name = base if index == 1 else f"{base}#{index}"
            with torch._C.DisableTorchFunction():  # our own reads need no WriteGuard
                if type(out) is torch.Tensor:
                    slots = [self.slot(out)]
                else:
                    slots = [self.slot(t) for t in _tensors(out)]
                dead: Any = None
                if isinstance(module, DEAD_TYPES) and isinstance(out, torch.Tensor):
                    dead = slots[0].dead
                if not kwargs and len(args) == 1 and type(args[0]) is torch.Tensor:
                    shapes = [tuple(args[0].shape)]
                else:
                    shapes = [tuple(t.shape) for t in _tensors((args, kwargs))]
            call = ModuleCall(name, path, index, type(module).__name__, shapes, [], dead)
            calls.append((call, slots))

        return hook

    def edges(self) -> tuple[list[Slot], list[Any]]:
        """The recorded outputs that require grad, and where their gradients are read."""
        slots = [s for s in self.slots.values() if s.edge is not None]
        return slots, [s.edge for s in slots]

    def finish(
        self, slots: list[Slot], grads: tuple[torch.Tensor | None, ...]
    ) -> tuple[list[ModuleCall], list[str]]:
        """The calls with their outputs, and a warning per value changed without being seen."""
        for s, g in zip(reversed(slots), reversed(grads), strict=True):  # as backward meets them
            if g is not None:
                s.grad = g
                s.grad_version = g._version
                s.grad_info = self.info(g)
        changed = []
        for call, call_slots in self.calls:
            call.outputs = [Pair(s.info, s.grad_info) for s in call_slots]
            for s in call_slots:
                if s.value._version != s.version or (
                    s.grad is not None and s.grad._version != s.grad_version
                ):
                    changed.append(call.name)
        warnings = []
        if changed:
            names = ", ".join(dict.fromkeys(changed))
            warnings.append(
                f"a recorded output or gradient was changed in place by an operation bptrace "
                f"could not see ({names}): its statistics are of the changed value"
            )
        return [call for call, _ in self.calls], warnings


def _address(t: torch.Tensor) -> int | None:
    try:
        return int(t.untyped_storage().data_ptr())
    except (RuntimeError, NotImplementedError, TypeError):  # sparse, meta, ... tensors
        return None


IN_PLACE_DUNDERS = frozenset(
    f"__i{op}__"
    for op in (
        *("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow"),
        *("lshift", "rshift", "and", "or", "xor"),
    )
) | {"__setitem__"}


WRITE_KINDS: dict[Any, int | None] = {}  # torch function → what it writes (_write_kind)


class WriteGuard(TorchFunctionMode):
    """While the model runs: before any in-place torch operation (``x.add_``, ``x += y``,
    ``x[i] = v``, ``F.relu(x, inplace=True)``, ``out=x``) writes to the storage of a recorded
    output, copy that output, so its statistics are of the value the module returned."""

    def __init__(self, rec: Recorder) -> None:
        super().__init__()
        self.rec = rec

    def __torch_function__(
        self,
        func: Any,
        types: Any,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        if kwargs is None:
            kwargs = {}
        try:
            kind = WRITE_KINDS[func]
        except KeyError:
            kind = WRITE_KINDS[func] = _write_kind(func)
        except TypeError:  # unhashable
            kind = _write_kind(func)
        if kind is not None or "out" in kwargs:
            self._before(kind, args, kwargs)
        return func(*args, **kwargs)

    def _before(self, kind: int | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        rec = self.rec
        if not rec.watched:
            return
        out = kwargs.get("out")
        if out is not None:
            for t in _tensors(out):
                rec.before_write(t)
        if kind is None or not args or not isinstance(args[0], torch.Tensor):
            return
        if kind < 0 or kwargs.get("inplace") or (kind < len(args) and args[kind] is True):
            rec.before_write(args[0])


def _write_kind(func: Any) -> int | None:
    """-1: writes its first argument; k ≥ 0: does when its ``inplace`` (position k) is True."""
    name = getattr(func, "__name__", "")
    if not isinstance(name, str):
        return None
    if name in IN_PLACE_DUNDERS or (name.endswith("_") and not name.endswith("__")):
        return -1
    try:
        params = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return None
    return params.index("inplace") if "inplace" in params else None


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    """The tensors in an output: a tensor, or nested tuples, lists and dicts of them."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for x in obj:
            yield from _tensors(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _tensors(x)


@contextmanager
def recording(
    model: nn.Module, named: list[tuple[str, nn.Module]] | None = None
) -> Iterator[Recorder]:
    """Hook every module of ``model`` (``named``: its ``named_modules()``); unhook on exit,
    whatever happens."""
    rec = Recorder()
    handles = []
    try:
        for path, module in model.named_modules() if named is None else named:
            handles.append(module.register_forward_hook(rec.make_hook(path), with_kwargs=True))
        yield rec
    finally:
        for handle in handles:
            handle.remove()


@dataclass
class Structure:
    """What ``named_modules``, ``named_parameters`` and ``named_buffers`` give, in their order,
    found in one walk; ``params`` and ``buffers`` list every (module, name, tensor) slot."""

    named: list[tuple[str, nn.Module]]
    originals: dict[str, nn.Parameter]
    params: list[tuple[nn.Module, str, nn.Parameter]]
    buffers: list[tuple[nn.Module, str, torch.Tensor]]


def _structure(model: nn.Module) -> Structure:
    named: list[tuple[str, nn.Module]] = []
    seen: set[nn.Module] = set()
    stack: list[tuple[str, nn.Module]] = [("", model)]
    while stack:  # depth first, children in order, each module once: named_modules()
        path, m = stack.pop()
        if m in seen:
            continue
        seen.add(m)
        named.append((path, m))
        prefix = f"{path}." if path else ""
        stack.extend((f"{prefix}{k}", c) for k, c in reversed(m._modules.items()) if c is not None)
    originals: dict[str, nn.Parameter] = {}
    params: list[tuple[nn.Module, str, nn.Parameter]] = []
    buffers: list[tuple[nn.Module, str, torch.Tensor]] = []
    seen_p: set[torch.Tensor] = set()
    for path, m in named:
        prefix = f"{path}." if path else ""
        for k, p in m._parameters.items():
            if p is None:
                continue
            params.append((m, k, p))
            if p not in seen_p:
                seen_p.add(p)
                originals[f"{prefix}{k}"] = p
        for k, b in m._buffers.items():
            if b is not None:
                buffers.append((m, k, b))
    return Structure(named, originals, params, buffers)


@contextmanager
def model_kept(st: Structure) -> Iterator[dict[int, torch.Tensor]]:
    """The pass runs on the model's own parameters and on copies of its buffers (so batch
    norm's running statistics stay as they were): on exit every buffer is put back, any
    parameter replaced is put back and any written in place gets its values back. Yields a
    copy of every parameter (by ``id``), taken before the pass."""
    params: list[tuple[dict[str, Any], str, nn.Parameter]]
    params = [(m._parameters, k, p) for m, k, p in st.params]
    versions = [p._version for _, _, p in params]
    saved: dict[int, torch.Tensor] = {}
    buffers: list[tuple[dict[str, Any], str, torch.Tensor]]
    buffers = [(m._buffers, k, b) for m, k, b in st.buffers]
    with torch.no_grad():
        for _, _, p in params:
            if id(p) not in saved:
                saved[id(p)] = p.detach().clone()
        copies: dict[int, torch.Tensor] = {}
        for _, _, b in buffers:
            if id(b) not in copies:
                copies[id(b)] = b.detach().clone()
    try:
        for d, k, b in buffers:
            d[k] = copies[id(b)]
        yield saved
    finally:
        with torch.no_grad():
            for d, k, b in buffers:
                d[k] = b
            for (d, k, p), v in zip(params, versions, strict=True):
                if d.get(k) is not p:
                    d[k] = p
                if p._version != v:
                    p.copy_(saved[id(p)])


@contextmanager
def buffers_kept(model: nn.Module) -> Iterator[dict[str, torch.Tensor]]:
    """Copies of every buffer for the pass; any original buffer found changed is restored."""
    named = list(model.named_buffers())
    saved = {k: b.detach().clone() for k, b in named}
    versions = {k: b._version for k, b in named}
    try:
        yield {k: b.clone() for k, b in saved.items()}
    finally:
        with torch.no_grad():
            for k, b in model.named_buffers():
                if k in saved and b._version != versions[k]:
                    b.copy_(saved[k])


def check_types(
    model: object, inputs: object, targets: object, loss_fn: object, where: str = ""
) -> tuple[torch.Tensor, ...]:
    """Refuse a model, inputs, targets or loss of the wrong kind (the message names it, after
    ``where`` when given); the inputs as a tuple."""
    at = f"{where}: " if where else ""
    if not isinstance(model, nn.Module):
        raise BptraceError(f"{at}model must be a torch.nn.Module, got {type(model).__name__}")
    xs = (inputs,) if isinstance(inputs, torch.Tensor) else inputs
    if (
        not isinstance(xs, (tuple, list))
        or not xs
        or not all(isinstance(x, torch.Tensor) for x in xs)
    ):
        raise BptraceError(
            f"{at}inputs must be a tensor or a tuple of tensors, got {type(inputs).__name__}"
        )
    if not isinstance(targets, torch.Tensor):
        raise BptraceError(f"{at}targets must be a tensor, got {type(targets).__name__}")
    if not callable(loss_fn):
        raise BptraceError(f"{at}loss_fn must be callable, got {type(loss_fn).__name__}")
    return tuple(xs)


def _loss(loss_fn: Callable[..., Any], output: Any, targets: torch.Tensor) -> torch.Tensor:
    name = _name(loss_fn)
    if isinstance(loss_fn, ELEMENTWISE_LOSSES):
        shape = tuple(output.shape) if isinstance(output, torch.Tensor) else None
        if shape != tuple(targets.shape):
            raise BptraceError(
                f"targets have shape {tuple(targets.shape)} but the model's output has shape "
                f"{shape if shape is not None else type(output).__name__}; {name} needs them equal"
            )
    try:
        loss = loss_fn(output, targets)
    except BptraceError:
        raise
    except Exception as exc:
        raise BptraceError(f"the loss ({name}) failed: {_describe(exc)}") from None
    if not isinstance(loss, torch.Tensor):
        raise BptraceError(f"the loss ({name}) returned {type(loss).__name__}, not a tensor")
    if loss.numel() != 1 or loss.dim() != 0:
        raise BptraceError(
            f"the loss ({name}) is not a scalar (shape {tuple(loss.shape)}); use reduction='mean' or 'sum'"
        )
    if not loss.requires_grad:
        raise BptraceError(f"the loss ({name}) does not depend on any parameter that requires grad")
    return loss


def trace_modules(
    model: nn.Module,
    inputs: Inputs,
    targets: torch.Tensor,
    loss_fn: Callable[..., Any],
    lr: float | None = None,
    name: str | None = None,
) -> ModuleTrace:
    """One forward and one backward pass, recorded per module call; the model is untouched."""
    xs = check_types(model, inputs, targets, loss_fn)
    st = _structure(model)
    originals = st.originals
    ps = list(originals.values())
    if not ps:
        raise BptraceError(f"the model ({type(model).__name__}) has no parameters to trace")
    if not any(p.requires_grad for p in ps):
        raise BptraceError(
            f"no parameter of the model ({type(model).__name__}) requires grad: nothing to trace"
        )
    if lr is not None and not (math.isfinite(lr) and lr > 0):
        raise BptraceError(f"lr: must be a positive number, got {lr}")
    named = st.named
    copies = [x.detach().clone() for x in xs]
    for x in copies:
        if x.is_floating_point() or x.is_complex():
            x.requires_grad_(True)
    with model_kept(st) as saved, torch.random.fork_rng(devices=[]), torch.enable_grad():
        params = {k: saved[id(p)] for k, p in originals.items()}
        if all(p.device.type == "cpu" for p in ps):
            torch.default_generator.manual_seed(0)  # what torch.manual_seed(0) does for the CPU
        else:
            torch.manual_seed(0)
        with recording(model, named) as rec:
            try:
                with WriteGuard(rec):
                    output = model(*copies)
            except BptraceError:
                raise
            except Exception as exc:
                raise BptraceError(f"the model's forward pass failed: {_describe(exc)}") from None
        rec.watched.clear()  # the loss rarely writes in place; finish() reports it if it does
        loss = _loss(loss_fn, output, targets)
        wanted = [x for x in copies if x.requires_grad]
        trainable = [k for k, p in originals.items() if p.requires_grad]
        slots, edges = rec.edges()
        grads = torch.autograd.grad(
            loss, [*wanted, *(originals[k] for k in trainable), *edges], allow_unused=True
        )
    with torch.no_grad():
        n_in, n_params = len(wanted), len(trainable)
        grad_of = dict(zip(trainable, grads[n_in : n_in + n_params], strict=True))
        input_grads = iter(grads[:n_in])
        in_pairs = []
        for x in copies:
            g = next(input_grads) if x.requires_grad else None
            in_pairs.append(Pair(rec.info(x), None if g is None else rec.info(g)))
        calls, changed = rec.finish(slots, grads[n_in + n_params :])
        param_infos = []
        for k, p in params.items():
            g = grad_of.get(k)
            if g is None and originals[k].requires_grad:
                g = torch.zeros_like(p)  # unused in this pass: its gradient is 0
            updated = None
            if lr is not None:
                updated = rec.info(p) if g is None else rec.info_of(p, _step(p, g, lr))
            module, _, _ = k.rpartition(".")
            param_infos.append(
                ParamInfo(
                    k,
                    module,
                    rec.info(p),
                    None if g is None else rec.info(g),
                    originals[k].requires_grad,
                    updated,
                )
            )
        targets_info = [rec.info(targets.detach().clone())]  # the caller's: it may change
        loss_value = float(loss.detach())
    nodes = _hierarchy(named, calls)
    info = ModelInfo(name, type(model).__name__, _name(loss_fn), _dtype(params), lr)
    tr = ModuleTrace(info, in_pairs, targets_info, loss_value, nodes, calls, param_infos)
    tr.warnings.extend(_warnings(model, [m for _, m in named]))
    tr.warnings.extend(changed)
    return tr


def _step(p: torch.Tensor, g: torch.Tensor, lr: float) -> Callable[[], torch.Tensor]:
    def updated() -> torch.Tensor:
        return p - lr * g

    return updated


def _hierarchy(named: list[tuple[str, nn.Module]], calls: list[ModuleCall]) -> list[ModuleNode]:
    nodes = {}
    for path, module in named:
        prefix = f"{path}." if path else ""
        nodes[path] = ModuleNode(
            path,
            type(module).__name__,
            [f"{prefix}{k}" for k in _distinct(module._modules)],
            [f"{prefix}{k}" for k in _distinct(module._parameters)],
        )
    for node in nodes.values():
        node.children = [c for c in node.children if c in nodes]  # shared modules appear once
    for call in calls:
        nodes[call.path].calls.append(call.name)
    return list(nodes.values())


def _distinct(members: dict[str, Any]) -> list[str]:
    """The names of the members that are set, each object once (as ``named_children()`` and
    ``named_parameters(recurse=False)`` list them)."""
    seen: set[int] = set()
    out = []
    for k, v in members.items():
        if v is not None and id(v) not in seen:
            seen.add(id(v))
            out.append(k)
    return out


def _warnings(model: nn.Module, modules: list[nn.Module]) -> list[str]:
    out = []
    if model.training:
        kinds = sorted(
            {
                type(m).__name__
                for m in modules
                if isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm))
            }
        )
        if kinds:
            out.append(
                f"the model is in train mode ({', '.join(kinds)}): dropout draws from a generator "
                "seeded with 0 and batch norm uses the batch's statistics; running statistics "
                "are left untouched"
            )
    return out


def _dtype(params: dict[str, torch.Tensor]) -> str:
    first = next(iter(params.values()))
    return str(first.dtype).removeprefix("torch.")


def _name(fn: object) -> str:
    if isinstance(fn, nn.Module):
        return type(fn).__name__
    return str(getattr(fn, "__name__", type(fn).__name__))


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
