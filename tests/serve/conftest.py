"""Fixtures of the serve tests: client keys, a running ``bptrace serve ssh``, and a sweep of
every process a test started."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from serve_helpers import Client, Server, free_port, keygen, sweep


@pytest.fixture
def mark() -> Iterator[str]:
    """A marker in the environment of every process the test starts; all are ended after."""
    value = uuid.uuid4().hex
    yield value
    sweep(value)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        pytest.skip("the OpenSSH client is not installed (make install installs it)")
    d = tmp_path_factory.mktemp("keys")
    made = {name: keygen(d / name) for name in ("teacher", "student", "student2", "stranger")}
    (d / "authorized").write_text(
        (d / "student.pub").read_text() + (d / "student2.pub").read_text()
    )
    (d / "teachers").write_text((d / "teacher.pub").read_text())
    return {**made, "authorized": d / "authorized", "teachers": d / "teachers", "dir": d}


@pytest.fixture
def ssh_server(
    keys: dict[str, Path], mark: str, tmp_path: Path
) -> Iterator[Callable[..., tuple[Server, int]]]:
    """Start ``bptrace serve ssh`` on a free loopback port: ``server, port = ssh_server()``."""
    servers: list[Server] = []

    def start(*extra: str) -> tuple[Server, int]:
        port = free_port()
        args = ["ssh", "--port", str(port), "--authorized-keys", str(keys["authorized"])]
        args += ["--teacher-keys", str(keys["teachers"]), "--host-key", str(tmp_path / "hk")]
        server = Server([*args, *extra], mark, ready="serving bptrace over ssh")
        servers.append(server)
        return server, port

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def client(keys: dict[str, Path], tmp_path: Path) -> Iterator[Callable[..., Client]]:
    """``client(port, "student")``: an ssh -tt client; every one is killed after the test."""
    clients: list[Client] = []

    def connect(port: int, who: str, *extra: str, size: tuple[int, int] = (100, 30)) -> Client:
        c = Client(port, keys[who], tmp_path / "known_hosts", *extra, size=size)
        clients.append(c)
        return c

    yield connect
    for c in clients:
        c.kill()
