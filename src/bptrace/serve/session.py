"""One served app: an ordinary ``python -m bptrace`` process in its own pty and session.

The process is marked as served (``BPTRACE_SERVED``), so it writes no files and runs no user
code, and is given the follow hub's socket and its token. Ending a session ends its whole
process group.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Callable, Sequence

from bptrace.i18n import language


def served_env(kind: str, hub_path: str, token: str, term: str | None = None) -> dict[str, str]:
    """The environment of a served app process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BPTRACE_", "TEXTUAL"))}
    env.update(BPTRACE_SERVED=kind, BPTRACE_FOLLOW=hub_path, BPTRACE_FOLLOW_TOKEN=token)
    if term:
        env["TERM"] = term
    return env


def app_command(source_args: Sequence[str]) -> list[str]:
    """The command line of one served app, in the server's language (``--lang``)."""
    return [sys.executable, "-m", "bptrace", "--lang", language(), *source_args]


def _take_terminal() -> None:  # in the child, before exec: the pty becomes its terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtySession:
    """An app process on a pty: bytes in, bytes out, resizes, and an end."""

    def __init__(
        self,
        command: list[str],
        env: dict[str, str],
        cwd: str,
        size: tuple[int, int],
        output: Callable[[bytes], None],
    ) -> None:
        self.master, slave = pty.openpty()
        self.resize(*size)
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_take_terminal,
            close_fds=True,
        )
        os.close(slave)
        os.set_blocking(self.master, False)
        self.output = output
        self.closed = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().add_reader(self.master, self._readable)

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: the app closed its terminal (it has exited)
            data = b""
        if data:
            self.output(data)
        else:
            asyncio.get_running_loop().remove_reader(self.master)
            if not self.closed.done():
                self.closed.set_result(None)

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, data)

    def resize(self, cols: int, rows: int) -> None:
        winsize = struct.pack("HHHH", max(rows, 1), max(cols, 1), 0, 0)
        with contextlib.suppress(OSError):
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, winsize)

    async def wait(self) -> int:
        """Wait for the app to end; its exit status."""
        await self.closed
        loop = asyncio.get_running_loop()
        code = await loop.run_in_executor(None, self.process.wait)
        self._close_master()
        return code

    async def end(self, grace: float = 2.0) -> None:
        """End the app's whole process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
        if self.process.poll() is None:
            self._signal(signal.SIGTERM)
            loop = asyncio.get_running_loop()
            try:
                await asyncio.wait_for(loop.run_in_executor(None, self.process.wait), grace)
            except TimeoutError:
                self._signal(signal.SIGKILL)
                await loop.run_in_executor(None, self.process.wait)
        self._signal(signal.SIGKILL)  # anything the app left in its group
        self._close_master()

    def _signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def _close_master(self) -> None:
        if self.master >= 0:
            with contextlib.suppress(OSError, ValueError):
                asyncio.get_running_loop().remove_reader(self.master)
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = -1
