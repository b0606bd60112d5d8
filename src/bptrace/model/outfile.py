"""Writing an output file (``-o FILE``, the app's export) safely.

- Only a regular file (or a new name) is a target, through any symbolic link to it: a FIFO, a device (``/dev/null``) or a
  socket is refused rather than replaced by a regular file.
- Written atomically: a temporary file beside the target, renamed over it. A new file gets
  the mode the umask gives (0644 under the usual umask 022), an existing file keeps its mode.
- Temporaries are named ``.NAME.bptrace-PID.tmp``; one left by a killed run (its process gone)
  is removed on the next write to the same name.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import path_text

TMP_SUFFIX = ".tmp"


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.bptrace-"


def check_target(path: str | os.PathLike[str]) -> Path:
    """Refuse a target that cannot or must not be written; return it as a Path."""
    if not os.fspath(path):
        raise BptraceError(_("-o: empty file name (give a file name, or leave -o out for stdout)"))
    out = Path(path)
    shown = path_text(out)
    try:
        if out.is_symlink():  # written through, as a shell's > does: the link stays a link
            out = Path(os.path.realpath(out))
        st = out.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise BptraceError(
            _("{path}: cannot write ({reason})").format(path=shown, reason=exc.strerror)
        ) from None
    directory = out.parent if str(out.parent) else Path(".")
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise BptraceError(_("{path}: is a directory").format(path=shown))
        if not stat.S_ISREG(st.st_mode):
            raise BptraceError(
                _(
                    "{path}: not a regular file (a device, FIFO or socket): refused, "
                    "bptrace writes only regular files"
                ).format(path=shown)
            )
    if not directory.is_dir():
        raise BptraceError(
            _("{path}: directory {directory} does not exist").format(
                path=shown, directory=path_text(directory)
            )
        )
    if not os.access(directory, os.W_OK) or (st is not None and not os.access(out, os.W_OK)):
        raise BptraceError(_("{path}: permission denied").format(path=shown))
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(path: Path) -> None:
    """Remove temporaries of ours for ``path`` whose writing process is gone."""
    directory = path.parent if str(path.parent) else Path(".")
    prefix = _tmp_prefix(path)
    try:
        names = [n for n in os.listdir(directory) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid_text = name[len(prefix) : -len(TMP_SUFFIX)] if name.endswith(TMP_SUFFIX) else ""
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                os.unlink(directory / name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` so that a failure never leaves a half-written file."""
    out = check_target(path)
    shown = path_text(out)
    clean_stale(out)
    directory = out.parent if str(out.parent) else Path(".")
    try:
        mode = stat.S_IMODE(out.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    tmp = directory / f"{_tmp_prefix(out)}{os.getpid()}{TMP_SUFFIX}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_EXCL, 0o600)
    except FileExistsError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise BptraceError(
                _("{path}: cannot write ({reason})").format(path=shown, reason=exc.strerror)
            ) from None
    except OSError as exc:
        raise BptraceError(
            _("{path}: cannot write ({reason})").format(path=shown, reason=exc.strerror)
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
        os.replace(tmp, out)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise BptraceError(
                _("{path}: cannot write ({reason})").format(path=shown, reason=exc.strerror)
            ) from None
        raise
