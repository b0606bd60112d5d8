"""Your own model: ``--model path/to/file.py:factory`` and ``--state FILE.pt``.

Loading a model **runs the user's Python file**, exactly as ``pytest`` or ``textual run``
would: only point bptrace at code you trust. The factory takes no arguments and returns
``(model, inputs, targets, loss_fn)``.

A state dict is read with ``torch.load(weights_only=True)`` only: tensors and plain
containers, never arbitrary pickled objects. A trace JSON, by contrast, is pure data (see
:mod:`bptrace.model.jsonio`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import pickle
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.tracer.modules import check_types

Loaded = tuple[nn.Module, Any, torch.Tensor, Callable[..., Any]]


def parse_ref(ref: str) -> tuple[Path, str]:
    """``"dir/file.py:make"`` → ``(Path("dir/file.py"), "make")``."""
    path, sep, func = ref.rpartition(":")
    if sep and not path:
        raise BptraceError(
            _(
                "--model: expected FILE.py:FUNCTION (e.g. models.py:make), got {ref!r} (no file "
                "name before ':')"
            ).format(ref=ref)
        )
    if not sep:
        raise BptraceError(
            _(
                "--model: expected FILE.py:FUNCTION (e.g. models.py:make), got {ref!r} (no ':')"
            ).format(ref=ref)
        )
    if not func.isidentifier():
        raise BptraceError(
            _("--model: {func!r} after ':' in {ref!r} is not a Python function name").format(
                func=func, ref=ref
            )
        )
    return Path(path), func


@contextmanager
def _on_path(directory: Path) -> Iterator[None]:
    """The file's directory first on sys.path while it runs (sibling imports work)."""
    entry = str(directory.resolve())
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        if entry in sys.path:
            sys.path.remove(entry)


def _import(path: Path) -> ModuleType:
    if path.is_dir():
        raise BptraceError(_("{path}: is a directory").format(path=path))
    if not path.exists():
        raise BptraceError(_("{path}: no such file").format(path=path))
    if path.suffix != ".py":
        raise BptraceError(_("{path}: not a Python file (expected a .py file)").format(path=path))
    try:
        path.open("rb").close()
    except PermissionError:
        raise BptraceError(_("{path}: permission denied").format(path=path)) from None
    except OSError as exc:
        raise BptraceError(
            _("{path}: cannot read ({reason})").format(path=path, reason=exc.strerror)
        ) from None
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    name = f"bptrace_user_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise BptraceError(_("{path}: cannot be imported as a Python module").format(path=path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _on_path(path.parent):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        del sys.modules[name]
        raise BptraceError(
            _("{path}, line {line}: SyntaxError: {reason}").format(
                path=path, line=exc.lineno, reason=exc.msg
            )
        ) from None
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise BptraceError(
            _("{path}: running the file raised {reason}").format(path=path, reason=_describe(exc))
        ) from None
    return module


def load_model(ref: str, state: str | Path | None = None) -> Loaded:
    """Import ``FILE.py``, call ``factory()``, check what it returns, load ``state`` if given."""
    path, func = parse_ref(ref)
    module = _import(path)
    factory = getattr(module, func, None)
    if factory is None:
        found = sorted(
            k
            for k, v in vars(module).items()
            if callable(v)
            and not k.startswith("_")
            and getattr(v, "__module__", None) == module.__name__
        )
        hint = _(" (functions there: {names})").format(names=", ".join(found[:8])) if found else ""
        raise BptraceError(
            _("{path}: no function {func!r}{hint}").format(path=path, func=func, hint=hint)
        )
    if not callable(factory):
        raise BptraceError(
            _("{path}: {func!r} is a {type}, not a function").format(
                path=path, func=func, type=type(factory).__name__
            )
        )
    try:
        with _on_path(path.parent):
            result = factory()
    except BptraceError:
        raise
    except (Exception, SystemExit) as exc:
        raise BptraceError(
            _("{ref}: {func}() raised {reason}").format(ref=ref, func=func, reason=_describe(exc))
        ) from None
    model, inputs, targets, loss_fn = check_result(result, f"{ref}: {func}()")
    if state is not None:
        load_state(model, state)
    return model, inputs, targets, loss_fn


def check_result(result: object, where: str) -> Loaded:
    """``(model, inputs, targets, loss_fn)`` with the right types, or a BptraceError."""
    want = "(model, inputs, targets, loss_fn)"
    if not isinstance(result, (tuple, list)):
        raise BptraceError(
            _("{where} must return {want}, got {type}").format(
                where=where, want=want, type=type(result).__name__
            )
        )
    if len(result) != 4:
        raise BptraceError(
            _("{where} must return {want}, got a tuple of {count}").format(
                where=where, want=want, count=len(result)
            )
        )
    model, inputs, targets, loss_fn = result
    check_types(model, inputs, targets, loss_fn, where)
    return model, (tuple(inputs) if isinstance(inputs, list) else inputs), targets, loss_fn


def read_state(path: str | Path) -> dict[str, torch.Tensor]:
    """A state dict from ``path``, read with ``torch.load(weights_only=True)``."""
    p = Path(path)
    if p.is_dir():
        raise BptraceError(_("{path}: is a directory").format(path=p))
    if not p.exists():
        raise BptraceError(_("{path}: no such file").format(path=p))
    try:
        data = torch.load(p, map_location="cpu", weights_only=True)
    except PermissionError:
        raise BptraceError(_("{path}: permission denied").format(path=p)) from None
    except pickle.UnpicklingError as exc:
        text = str(exc)
        if "Unsupported global" in text or "can still be loaded" in text:
            found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
            what = f" ({found.group(1)})" if found else ""
            raise BptraceError(
                _(
                    "{path}: refused: it holds more than tensors{what}; only weights_only=True "
                    "loading is allowed"
                ).format(path=p, what=what)
            ) from None
        raise BptraceError(
            _("{path}: not a torch state dict file (cannot be unpickled)").format(path=p)
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise BptraceError(
            _("{path}: not a torch state dict file ({reason})").format(
                path=p, reason=_describe(exc)[:160]
            )
        ) from None
    if not isinstance(data, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in data.items()
    ):
        raise BptraceError(
            _(
                "{path}: not a state dict (expected a mapping of names to tensors, "
                "as model.state_dict() saves), got {type}"
            ).format(path=p, type=type(data).__name__)
        )
    return dict(data)


def load_state(model: nn.Module, path: str | Path) -> None:
    """Load a state dict into ``model`` (the factory's fresh model), strictly."""
    data = read_state(path)
    own = model.state_dict()
    missing = [k for k in own if k not in data]
    unexpected = [k for k in data if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(_("missing {names}").format(names=_few(missing)))
        if unexpected:
            parts.append(_("unexpected {names}").format(names=_few(unexpected)))
        raise BptraceError(
            _("{path}: state dict does not fit the model: {reason}").format(
                path=path, reason="; ".join(parts)
            )
        )
    for k, v in own.items():
        if tuple(data[k].shape) != tuple(v.shape):
            raise BptraceError(
                _(
                    "{path}: state dict does not fit the model: {name} has shape "
                    "{shape}, the model's has {want}"
                ).format(path=path, name=k, shape=tuple(data[k].shape), want=tuple(v.shape))
            )
    try:
        model.load_state_dict(data, strict=True)
    except RuntimeError as exc:
        raise BptraceError(
            _("{path}: state dict does not fit the model: {reason}").format(
                path=path, reason=_describe(exc)
            )
        ) from None


def _few(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    more = len(names) - limit
    return shown + (_(" and {count} more").format(count=more) if more > 0 else "")


def _describe(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
