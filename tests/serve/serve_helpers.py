"""Real parts for the serve tests: a bptrace server in its own process group, an OpenSSH
client in a pty, and a sweep that ends every process a test started (found by a marker in
their environment), whatever happened."""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import signal
import socket
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

MARK = "SERVE_TEST_MARK"  # not a BPTRACE_* name: it is passed on to the session processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def marked_pids(mark: str, app_only: bool = False) -> list[int]:
    """Processes whose environment carries ``mark`` (an app: ``-m bptrace`` without serve)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes()
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if f"{MARK}={mark}".encode() not in env.split(b"\0"):
            continue
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            continue  # a zombie has ended
        if app_only and not (b"bptrace" in cmd and b"serve" not in cmd and b"-m" in cmd):
            continue
        found.append(int(entry.name))
    return found


def sweep(mark: str) -> None:
    """SIGKILL every process that carries ``mark``."""
    for pid in marked_pids(mark):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


class Server:
    """``bptrace serve ...`` in its own session; its log collected in a thread."""

    def __init__(self, args: list[str], mark: str, ready: str) -> None:
        env = {**os.environ, MARK: mark}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bptrace", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        self.log = ""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.wait_log(ready, 60):
            raise AssertionError(f"the server did not start:\n{self.log}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in iter(self.process.stdout.readline, b""):
            with self.lock:
                self.log += line.decode("utf-8", "replace")

    def wait_log(self, text: str, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.log:
                return True
            if self.process.poll() is not None:
                time.sleep(0.2)
                return text in self.log
            time.sleep(0.1)
        return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)
            return None


class Client:
    """An OpenSSH client (``ssh -tt``) in a pty of ``cols`` x ``rows``; its output in ``text``."""

    def __init__(self, port: int, key: Path, known: Path, *extra: str, size=(100, 30)) -> None:
        master, slave = pty.openpty()
        cols, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        command = [
            "ssh",
            "-tt",
            "-F",
            "/dev/null",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            f"UserKnownHostsFile={known}",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "ConnectTimeout=20",
            "-i",
            str(key),
            "-p",
            str(port),
            *extra,
            "127.0.0.1",
        ]
        env = {**os.environ, "TERM": "xterm-256color"}
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.raw = b""
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.raw += data

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> bool:
        """Whether ``text`` appears in the output (past byte ``after``) within ``timeout``."""
        end = time.monotonic() + timeout
        needle = text.encode()
        while time.monotonic() < end:
            if needle in self.raw[after:]:
                return True
            time.sleep(0.05)
        return False

    def resize(self, cols: int, rows: int) -> None:
        """Change the client's terminal size and tell ssh, as a terminal emulator would."""
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(self.process.pid, signal.SIGWINCH)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def wait_exit(self, timeout: float = 20) -> int | None:
        """ssh's exit status, once it and everything it wrote have arrived (the reader stops
        when the pty closes): ``text`` is then complete, not racing the reader thread."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.reader.join(5)
        return code

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        with contextlib.suppress(OSError):
            os.close(self.master)


def keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        timeout=30,
    )
    return path
