"""What the commands print to stdout, written so that no failure of stdout is a traceback.

- A full disk (``> /dev/full``), a closed stdout or an encoding that cannot show the text
  (``PYTHONIOENCODING=ascii``: no ``∂``) is one ``bptrace: error: stdout: ...`` line, exit 2.
- A closed pipe (``bptrace check ... | head -0``) is quiet: stdout is pointed at the null
  device (Python's advice for SIGPIPE, so the interpreter's last flush cannot fail again) and
  the command goes on to exit with the status it would have had (``check`` keeps its verdict).
- While user code runs (a ``--model`` file, its factory, its forward), what it prints goes to
  stderr, so stdout carries only the command's own output (the JSON of ``export``).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bptrace.i18n import _
from bptrace.model.errors import BptraceError

if TYPE_CHECKING:
    from rich.console import Console


def write_out(text: str, *, use_o: bool = False) -> None:
    """``text`` to stdout and flushed; ``use_o``: the command has ``-o FILE`` to suggest."""
    out = sys.stdout
    try:
        if out is None:
            raise ValueError("stdout is None")
        out.write(text)
        out.flush()
    except BrokenPipeError:
        silence_stdout()
    except UnicodeEncodeError as exc:  # nothing of ``text`` was written
        raise BptraceError(
            _(
                "stdout: its encoding ({encoding}) cannot show {char!r}: use a UTF-8 locale "
                "(e.g. LANG=C.UTF-8) or PYTHONIOENCODING=utf-8"
            ).format(encoding=exc.encoding, char=exc.object[exc.start : exc.start + 1])
        ) from None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _("closed")
        silence_stdout()
        if use_o:
            raise BptraceError(
                _("stdout: cannot write ({reason}): use -o FILE").format(reason=why)
            ) from None
        raise BptraceError(_("stdout: cannot write ({reason})").format(reason=why)) from None


def silence_stdout() -> None:
    """Point stdout (its file descriptor too) at the null device: later writes cannot fail."""
    with contextlib.suppress(Exception):
        fd = sys.stdout.fileno()  # none when stdout is not a real file (a test's capture)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    with contextlib.suppress(Exception):
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115


@contextlib.contextmanager
def user_prints_to_stderr() -> Iterator[None]:
    """Inside: what user code writes to stdout goes to stderr: Python-level prints
    (``print``, ``sys.stdout.write``) and, when stdout is a real file, writes to its file
    descriptor too (``os.write(1, ...)``, C code)."""
    saved = _point_stdout_fd_at_stderr()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        if saved is not None:
            _flush_c_stdio()  # what C code left in its stdout buffer goes to stderr too
            os.dup2(saved[1], saved[0])
            os.close(saved[1])


def _point_stdout_fd_at_stderr() -> tuple[int, int] | None:
    """Point stdout's descriptor at stderr's; (stdout's descriptor, a copy of its old
    target), or None when stdout or stderr is not a real file (a test's capture)."""
    try:
        sys.stdout.flush()
        out, err = sys.stdout.fileno(), sys.stderr.fileno()
        saved = os.dup(out)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    os.dup2(err, out)
    return out, saved


def _flush_c_stdio() -> None:
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).fflush(None)


def text_console() -> tuple[Console, io.StringIO]:
    """A rich Console rendering into a string (for :func:`write_out`), coloured as stdout is."""
    from rich.console import Console

    try:
        tty = sys.stdout is not None and sys.stdout.isatty()
    except (OSError, ValueError):
        tty = False
    buffer = io.StringIO()
    console = Console(
        file=buffer, highlight=False, soft_wrap=True, force_terminal=True if tty else None
    )
    return console, buffer
