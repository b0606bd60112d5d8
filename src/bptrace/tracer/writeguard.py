"""Seeing in-place writes coming: :class:`WriteGuard`, a torch function mode.

It sees every in-place torch operation coming while code we do not know runs (a custom
``forward``) and has the :class:`~bptrace.tracer.recorder.Recorder` copy a recorded output
before its storage is written; it is paused while torch's own ``torch.nn`` modules run, which
write in place only through their ``inplace`` flag, checked before the call.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from bptrace.tracer.recorder import Recorder, tensors

IN_PLACE_DUNDERS = frozenset(
    f"__i{op}__"
    for op in (
        *("add", "sub", "mul", "matmul", "truediv", "floordiv", "mod", "pow"),
        *("lshift", "rshift", "and", "or", "xor"),
    )
) | {"__setitem__"}

WRITE_KINDS: dict[Any, int | None] = {}  # torch function → what it writes (_write_kind)


class WriteGuard(TorchFunctionMode):
    """While the user's code runs: before any in-place torch operation (``x.add_``,
    ``x += y``, ``x[i] = v``, ``F.relu(x, inplace=True)``, ``out=x``) writes to the storage of
    a recorded output, copy that output, so its statistics are of the value the module
    returned."""

    def __init__(self, rec: Recorder) -> None:
        super().__init__()
        self.rec = rec
        self.entered = 0  # how many times entered and not exited
        self.on = False  # whether it is on the torch function mode stack now

    def __enter__(self) -> WriteGuard:
        super().__enter__()  # type: ignore[no-untyped-call]
        self.entered += 1
        self.on = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.entered -= 1
        self.on = self.entered > 0
        super().__exit__(*exc)  # type: ignore[no-untyped-call]

    def switch(self, on: bool) -> bool:
        """Watch (``on``) or stop watching; True if that changed anything."""
        return self.resume() if on else self.pause()

    def pause(self) -> bool:
        """Stop watching, if this guard is the innermost torch function mode; True if so."""
        n = torch._C._len_torch_function_stack()
        if self.on and n and torch._C._get_function_stack_at(n - 1) is self:
            torch._C._pop_torch_function_stack()
            self.on = False
            return True
        return False

    def resume(self) -> bool:
        """Watch again, if entered but paused; True if so."""
        if self.on or not self.entered:
            return False
        torch._C._push_on_torch_function_stack(self)
        self.on = True
        return True

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
        if (kind is not None or "out" in kwargs) and self.rec.watching:
            self._before(kind, args, kwargs)
        return func(*args, **kwargs)

    def _before(self, kind: int | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        rec = self.rec
        out = kwargs.get("out")
        if out is not None:
            for t in tensors(out):
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
