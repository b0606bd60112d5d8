"""Reading a user's text file with errors that name the file (never a traceback)."""

from __future__ import annotations

import os
from pathlib import Path

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import path_text


def check_readable(path: str | os.PathLike[str]) -> None:
    """Refuse at once, with :func:`read_text`'s words, a file that cannot be opened at all."""
    p = Path(path)
    try:
        with p.open("rb"):
            pass
    except OSError as exc:
        raise _refusal(p, exc) from None


def _refusal(p: Path, exc: OSError) -> BptraceError:
    if isinstance(exc, FileNotFoundError):
        return BptraceError(_("{path}: no such file").format(path=p))
    if isinstance(exc, IsADirectoryError):
        return BptraceError(_("{path}: is a directory").format(path=p))
    if isinstance(exc, PermissionError):
        return BptraceError(_("{path}: permission denied").format(path=p))
    return BptraceError(_("{path}: cannot read ({reason})").format(path=p, reason=exc.strerror))


def read_text(
    path: str | os.PathLike[str], limit: int | None = None, what: str = N_("file")
) -> str:
    """The file's text (UTF-8); a clear BptraceError when it is missing, unreadable or too big."""
    text = _read(Path(path), limit, what, as_text=True)
    assert isinstance(text, str)
    return text


def read_bytes(path: str | os.PathLike[str], limit: int | None = None, what: str = "file") -> bytes:
    """The file's bytes, with :func:`read_text`'s refusals (no UTF-8 check: the caller's)."""
    data = _read(Path(path), limit, what, as_text=False)
    assert isinstance(data, bytes)
    return data


def _read(p: Path, limit: int | None, what: str, *, as_text: bool) -> str | bytes:
    shown = path_text(p)
    try:
        with p.open("rb") as f:
            if limit is None:
                data = f.read()
            else:
                size = os.fstat(f.fileno()).st_size
                if size > limit:
                    raise BptraceError(
                        _(
                            "{path}: {size} bytes is over the {limit} byte limit for a {what}"
                        ).format(path=shown, size=size, limit=limit, what=_(what))
                    )
                # at most one byte past the limit: a device or a pipe reports no size
                data = f.read(limit + 1)
                if len(data) > limit:
                    raise BptraceError(
                        _("{path}: more than the {limit} byte limit for a {what}").format(
                            path=shown, limit=limit, what=_(what)
                        )
                    )
        if not as_text:
            return data
        # what Path.read_text gives: universal newlines
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        raise BptraceError(_("{path}: no such file").format(path=shown)) from None
    except IsADirectoryError:
        raise BptraceError(_("{path}: is a directory").format(path=shown)) from None
    except PermissionError:
        raise BptraceError(_("{path}: permission denied").format(path=shown)) from None
    except UnicodeDecodeError:
        raise BptraceError(_("{path}: not a text file (not UTF-8)").format(path=shown)) from None
    except OSError as exc:
        raise BptraceError(
            _("{path}: cannot read ({reason})").format(path=shown, reason=exc.strerror)
        ) from None
