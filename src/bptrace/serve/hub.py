"""The follow hub: the teacher's source and step, carried to every student session.

A Unix socket in a private directory (mode 0700) that only the server's own session
processes are told about. Each session connects and says its token; the hub knows from the
token whether it leads (a teacher key) or follows. The hub keeps only the latest state:
a student that cannot keep up gets the newest state when it can take it, never a queue.

Lines are JSON objects, one per line: a session sends ``{"token": ...}`` first; a teacher
then sends ``{"source": {...}, "step": k}``; a student receives the same objects. The hub
answers the token with ``{"role": ...}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

MAX_LINE = 1 << 20  # a spec with many weights is still far below this


class Hub:
    """The latest leader state, and one sender per following session."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="bptrace-serve-"))
        os.chmod(self.directory, 0o700)
        self.path = self.directory / "follow.sock"
        self.roles: dict[str, str] = {}
        self.state: dict[str, Any] | None = None
        self.version = 0
        self.wakeups: set[asyncio.Event] = set()
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_unix_server(
            self.serve, path=str(self.path), limit=MAX_LINE
        )
        os.chmod(self.path, 0o600)

    def new_token(self, role: str) -> str:
        """A token for one session process; it tells the hub this session's role."""
        token = secrets.token_hex(16)
        self.roles[token] = role
        return token

    def forget(self, token: str) -> None:
        self.roles.pop(token, None)

    def publish(self, state: dict[str, Any]) -> None:
        """A leader's new state: every follower is woken to send it (or a newer one)."""
        self.state, self.version = state, self.version + 1
        for event in self.wakeups:
            event.set()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            hello = json.loads(await reader.readline() or b"{}")
            role = self.roles.get(str(hello.get("token", "")))
            writer.write(json.dumps({"role": role}).encode() + b"\n")
            if role == "teacher":
                await self.lead(reader)
            elif role == "student":
                await self.follow(reader, writer)
        except (ValueError, AttributeError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self.writers.discard(writer)

    async def lead(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if isinstance(message, dict) and isinstance(message.get("step"), int):
                self.publish({"source": message.get("source"), "step": message["step"]})

    async def follow(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        wake = asyncio.Event()
        if self.state is not None:
            wake.set()
        self.wakeups.add(wake)
        gone = asyncio.ensure_future(reader.read())  # EOF when the session ends
        try:
            sent = 0
            while True:
                waiter = asyncio.ensure_future(wake.wait())
                await asyncio.wait({waiter, gone}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                if gone.done():
                    return
                wake.clear()
                if self.version == sent:
                    continue
                sent = self.version
                writer.write(json.dumps(self.state).encode() + b"\n")
                await writer.drain()  # a slow session: newer states just set ``wake`` again
        finally:
            self.wakeups.discard(wake)
            gone.cancel()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):  # each session's reader sees the end and returns
            writer.close()
        await asyncio.sleep(0)
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            self.directory.rmdir()
