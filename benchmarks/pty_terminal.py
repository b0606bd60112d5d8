"""A terminal for timing a Textual app from the outside: a pseudo-terminal we read ourselves.

The app runs as a separate process on the slave side of a pty (its stdin, stdout and stderr:
Textual writes its frames to stderr), at a fixed window size. This side answers Textual's
query for synchronised output (``CSI ? 2026 $ p`` → "supported", as kitty, WezTerm, foot,
iTerm2 or tmux ≥ 3.4 answer), so every frame the app draws arrives wrapped in
``CSI ? 2026 h`` … ``CSI ? 2026 l``. A key's latency is the time from writing the key's bytes
to the master until the *last* frame it caused has fully arrived here: the action, layout,
the compositor's render, the driver's write and the pty are all inside the interval. Only
the terminal emulator's own painting is not (no emulator is in the loop).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass

SYNC_QUERY = b"\x1b[?2026$p"
SYNC_REPLY = b"\x1b[?2026;2$y"
FRAME_END = b"\x1b[?2026l"
ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
KEYS = {"end": b"\x1b[F", "home": b"\x1b[H", "down": b"\x1b[B", "up": b"\x1b[A"}


def plain(data: bytes) -> str:
    """The text in ``data`` with every escape sequence removed."""
    return ESCAPES.sub(b"", data).decode("utf-8", "replace")


@dataclass
class Frames:
    """What arrived after a key (or since start): each frame's end time, and the bytes."""

    ends: list[float]
    data: bytes

    @property
    def text(self) -> str:
        return plain(self.data)


class Terminal:
    """One app process on a pty of ``columns`` × ``rows``."""

    def __init__(self, argv: Sequence[str], columns: int = 120, rows: int = 40):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        env.pop("TEXTUAL", None)
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.pending = b""  # bytes that might hold the start of a query split across reads

    def _read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return b""
        try:
            data = os.read(self.master, 1 << 16)
        except OSError:  # the app has exited and the pty is closed
            return b""
        probe = self.pending + data
        if SYNC_QUERY in probe:
            os.write(self.master, SYNC_REPLY)
            probe = probe.replace(SYNC_QUERY, b"")
        self.pending = probe[-len(SYNC_QUERY) :]
        return data

    def collect(self, until: str | None, quiet: float, timeout: float, since: float) -> Frames:
        """Read frames until ``until`` has appeared in a frame's text (if given) and then
        nothing has arrived for ``quiet`` seconds. Frame end times are relative to ``since``."""
        ends: list[float] = []
        data = b""
        seen = until is None
        frame_start = 0
        deadline = time.perf_counter() + timeout
        last = time.perf_counter()
        while True:
            now = time.perf_counter()
            if now > deadline:
                raise TimeoutError(
                    f"waited {timeout:.0f} s for {until!r}; got {plain(data)[-400:]!r}"
                )
            chunk = self._read(0.01)
            now = time.perf_counter()
            if chunk:
                data += chunk
                last = now
                while (at := data.find(FRAME_END, frame_start)) >= 0:
                    frame_start = at + len(FRAME_END)
                    ends.append(now - since)
                    if not seen and until is not None and until in plain(data):
                        seen = True
            elif seen and ends and now - last >= quiet:
                return Frames(ends, data)
            elif self.proc.poll() is not None and not chunk:
                raise RuntimeError(f"the app exited ({self.proc.returncode}): {plain(data)[-400:]}")

    def press(
        self, key: str, until: str | None = None, quiet: float = 0.25, timeout: float = 300
    ) -> float:
        """Press ``key``; seconds until the last frame it caused had arrived."""
        t0 = time.perf_counter()
        os.write(self.master, KEYS.get(key, key.encode()))
        frames = self.collect(until, quiet, timeout, t0)
        return frames.ends[-1]

    def drain(self, quiet: float = 0.5, timeout: float = 30) -> None:
        """Read until the app has been silent for ``quiet`` seconds."""
        last = time.perf_counter()
        deadline = last + timeout
        while time.perf_counter() < deadline:
            if self._read(0.02):
                last = time.perf_counter()
            elif time.perf_counter() - last >= quiet:
                return

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.master)
