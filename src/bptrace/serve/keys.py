"""The SSH server's keys: its host key (made on first start, mode 0600) and the client keys."""

from __future__ import annotations

import os
from pathlib import Path

import asyncssh

from bptrace.i18n import _
from bptrace.model.errors import BptraceError


def default_host_key() -> Path:
    """Where the host key lives unless ``--host-key`` says: the user's config directory."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bptrace" / "ssh_host_ed25519_key"


def load_or_create_host_key(path: Path) -> tuple[asyncssh.SSHKey, bool]:
    """The host key at ``path``, made there (mode 0600) if the file does not exist yet.

    Returns the key and whether it was created now.
    """
    if path.exists():
        try:
            return asyncssh.read_private_key(str(path)), False
        except (OSError, asyncssh.KeyImportError) as exc:
            raise BptraceError(
                _("{path}: not a usable SSH host key ({error})").format(path=path, error=exc)
            ) from None
    key = asyncssh.generate_private_key("ssh-ed25519")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise BptraceError(
            _("{path}: cannot create the host key ({error})").format(path=path, error=exc.strerror)
        ) from None
    with os.fdopen(fd, "wb") as out:
        out.write(key.export_private_key())
    return key, True


class ClientKeys:
    """The public keys allowed in (OpenSSH authorized_keys format), and which ones lead."""

    def __init__(self, authorized: Path, teachers: Path | None = None) -> None:
        self.students = _read(authorized, "--authorized-keys")
        self.teachers = _read(teachers, "--teacher-keys") if teachers else set()

    def role(self, key: asyncssh.SSHKey) -> str | None:
        """``teacher``, ``student``, or None for a key that is not allowed."""
        blob = key.public_data
        if blob in self.teachers:
            return "teacher"
        if blob in self.students:
            return "student"
        return None


def _read(path: Path, option: str) -> set[bytes]:
    """The public key blobs of an authorized_keys file (options before a key are ignored)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BptraceError(
            _("{option} {path}: cannot read it ({error})").format(
                option=option, path=path, error=exc
            )
        ) from None
    blobs: set[bytes] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        blobs.add(_key_blob(line, path, number))
    if not blobs:
        raise BptraceError(
            _("{option} {path}: no public keys in it").format(option=option, path=path)
        )
    return blobs


def _key_blob(line: str, path: Path, number: int) -> bytes:
    words = line.split()
    for start in range(len(words)):  # an options field may come before the key type
        try:
            return asyncssh.import_public_key(" ".join(words[start:])).public_data
        except (asyncssh.KeyImportError, ValueError):
            continue
    raise BptraceError(
        _("{path}:{number}: not an OpenSSH public key").format(path=path, number=number)
    )
