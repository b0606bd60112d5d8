"""``bptrace serve ssh``: an asyncssh server that gives each pty connection its own app.

Public-key authentication only, against the keys of ``--authorized-keys`` and
``--teacher-keys``. A connection that asks for a shell with a pty gets a bptrace app in a pty
of its own; a command, a subsystem (sftp) or a shell without a pty is refused in one line, and
every kind of forwarding is refused by asyncssh's defaults (kept, and agent and X11
forwarding switched off).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncssh

from bptrace.i18n import N_, _
from bptrace.serve.hub import Hub
from bptrace.serve.keys import ClientKeys, load_or_create_host_key
from bptrace.serve.session import PtySession, app_command, served_env

REFUSE_COMMAND = N_("this server runs only the bptrace app; commands are not allowed")
REFUSE_NO_PTY = N_("the app needs a terminal: connect with `ssh -t`")
ROLES = {"teacher": N_("teacher"), "student": N_("student")}


def to_client(text: str) -> bytes:
    """One line for the client's terminal: ``bptrace: `` and ``text`` (translated)."""
    return f"bptrace: {_(text)}\r\n".encode()


def role_name(role: str | None) -> str:
    """``teacher`` or ``student`` in the language in use (as the log says it)."""
    return _(ROLES[role]) if role in ROLES else str(role)


@dataclass
class Options:
    host: str
    port: int
    keys: ClientKeys
    host_key: Path
    max_sessions: int
    idle_timeout: float
    source_args: list[str]


def log(text: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"{stamp} {text}", file=sys.stderr, flush=True)


@dataclass
class Classroom:
    """The server's state: its options, the follow hub, the sessions running now."""

    options: Options
    hub: Hub
    workdir: str
    sessions: set[PtySession] = field(default_factory=set)

    async def run_session(self, process: asyncssh.SSHServerProcess[bytes], role: str) -> None:
        """Run one app for ``process`` until the app ends or the client goes away."""
        if process.command is not None or process.subsystem is not None:
            process.stderr.write(to_client(REFUSE_COMMAND))
            process.exit(1)
            return
        term = process.get_terminal_type()
        if term is None:
            process.stderr.write(to_client(REFUSE_NO_PTY))
            process.exit(1)
            return
        if len(self.sessions) >= self.options.max_sessions:
            full = _("the class is full ({count} sessions); try again later")
            process.stderr.write(to_client(full.format(count=self.options.max_sessions)))
            process.exit(1)
            return
        cols, rows, _w, _h = process.get_terminal_size()
        token = self.hub.new_token(role)
        env = served_env("ssh", str(self.hub.path), token, term)
        app = PtySession(
            app_command(self.options.source_args),
            env,
            self.workdir,
            (cols or 80, rows or 24),
            process.stdout.write,
        )
        self.sessions.add(app)
        try:
            await self.pump(process, app)
        finally:
            self.sessions.discard(app)
            self.hub.forget(token)
            await app.end()

    async def pump(self, process: asyncssh.SSHServerProcess[bytes], app: PtySession) -> None:
        """Client keys to the app, resizes to its pty, an idle clock; the exit status back."""
        last_input = time.monotonic()

        async def read_client() -> None:
            nonlocal last_input
            while True:
                try:
                    data = await process.stdin.read(4096)
                except asyncssh.TerminalSizeChanged as change:
                    app.resize(change.width, change.height)
                    continue
                except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                    continue
                except (asyncssh.Error, OSError):  # the client went away
                    return
                if not data:
                    return
                last_input = time.monotonic()
                app.write(data)

        async def idle() -> None:
            limit = self.options.idle_timeout
            while time.monotonic() - last_input < limit:
                await asyncio.sleep(min(5.0, limit))

        tasks = {
            asyncio.ensure_future(app.wait()): "exit",
            asyncio.ensure_future(read_client()): "gone",
            asyncio.ensure_future(idle()): "idle",
        }
        done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        first = next(t for t in tasks if t in done)
        for task in done:
            task.exception()  # retrieved: a lost client is not an error to report
        why = tasks[first]
        if why == "exit":
            with contextlib.suppress(OSError, BrokenPipeError):
                code = int(first.result() or 0)  # killed by signal N: -N, shown as 128 + N
                process.exit(code if code >= 0 else 128 - code)
        elif why == "idle":
            process.stderr.write(
                b"\r\n" + to_client(N_("idle for too long; the session has ended"))
            )
            process.exit(1)
        else:
            process.close()


class Gate(asyncssh.SSHServer):
    """One connection: public keys only; remembers the key's role and logs who came and went."""

    def __init__(self, classroom: Classroom) -> None:
        self.classroom = classroom
        self.peer = "?"
        self.who = "unauthenticated"
        self.role: str | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        peer = conn.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"

    def connection_lost(self, exc: Exception | None) -> None:
        if self.role is not None:
            said = _("disconnect {peer} {key} ({role})")
            log(said.format(peer=self.peer, key=self.who, role=role_name(self.role)))

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        role = self.classroom.options.keys.role(key)
        if role is None:
            said = _("refused {peer} {key} (not in the keys given)")
            log(said.format(peer=self.peer, key=key.get_fingerprint()))
            return False
        self.role, self.who = role, key.get_fingerprint()
        return True

    def auth_completed(self) -> None:
        said = _("connect {peer} {key} ({role})")
        log(said.format(peer=self.peer, key=self.who, role=role_name(self.role)))


async def serve(options: Options) -> int:
    """Run the server until SIGINT or SIGTERM; then end every session and return 0."""
    host_key, created = load_or_create_host_key(options.host_key)
    hub = Hub()
    await hub.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with tempfile.TemporaryDirectory(prefix="bptrace-session-") as workdir:
        classroom = Classroom(options, hub, workdir)

        def gate() -> Gate:
            return Gate(classroom)

        async def session(process: asyncssh.SSHServerProcess[bytes]) -> None:
            await classroom.run_session(process, _role_of(process))

        try:
            server = await asyncssh.create_server(
                gate,
                options.host,
                options.port,
                server_host_keys=[host_key],
                process_factory=session,
                encoding=None,
                line_editor=False,
                agent_forwarding=False,
                x11_forwarding=False,
                allow_scp=False,
                password_auth=False,
                kbdint_auth=False,
                gss_host=None,
                login_timeout=60,
            )
        except OSError as exc:
            await hub.close()
            address = f"{options.host}:{options.port}"
            why = _("cannot listen on {address} ({error})").format(
                address=address, error=exc.strerror
            )
            log(f"bptrace: error: {why}")
            return 2
        said = (
            _("host key created: {path} ({key})")
            if created
            else _("host key using: {path} ({key})")
        )
        log(said.format(path=options.host_key, key=host_key.get_fingerprint()))
        port = server.sockets[0].getsockname()[1]
        serving = _("serving bptrace over ssh on {address}; students: ssh -t -p {port} HOST")
        log(serving.format(address=f"{options.host}:{port}", port=port))
        await stop.wait()
        ending = _("shutting down: ending {count} session(s)")
        log(ending.format(count=len(classroom.sessions)))
        server.close()
        await asyncio.gather(*(app.end() for app in list(classroom.sessions)))
        await hub.close()
    return 0


def _role_of(process: asyncssh.SSHServerProcess[bytes]) -> str:
    """The role its connection's key was given (a teacher key leads)."""
    conn = process.get_extra_info("connection")
    owner = conn.get_owner() if conn is not None else None
    return owner.role if isinstance(owner, Gate) and owner.role else "student"
