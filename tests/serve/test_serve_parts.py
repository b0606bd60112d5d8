"""The serve command's refusals, the follow hub's latest-only sending, and the pieces the
servers are made of (quick: no ssh client, no browser)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bptrace.cli import main
from bptrace.model.spec import CLASSIC_TEXT, parse_spec, parse_spec_text
from bptrace.serve.command import NO_MODEL
from bptrace.serve.hub import Hub
from bptrace.serve.web import open_warning
from bptrace.tui.classroom import spec_document


def one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("bptrace: error: "), err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["serve", "ssh", "--authorized-keys", "k", "--model", "m.py:f"],
        ["--model", "m.py:f", "serve", "ssh", "--authorized-keys", "k"],
        ["serve", "web", "--model", "m.py:f"],
        ["--model", "m.py:f", "serve", "web"],
    ],
)
def test_model_is_refused_and_never_run(
    argv: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("open('ran', 'w')\ndef f(): pass\n")
    assert main(argv) == 2
    assert one_error(capsys) == f"bptrace: error: {NO_MODEL}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_bad_keys_and_sources_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["serve", "ssh", "--authorized-keys", str(missing)]) == 2
    assert f"--authorized-keys {missing}: cannot read it" in one_error(capsys)
    garbage = tmp_path / "keys"
    garbage.write_text("ssh-ed25519 not-base64!!\n")
    assert main(["serve", "ssh", "--authorized-keys", str(garbage)]) == 2
    assert f"{garbage}:1: not an OpenSSH public key" in one_error(capsys)
    assert main(["serve", "web", "--example", "no-such"]) == 2
    assert "unknown example 'no-such'" in one_error(capsys)
    with pytest.raises(SystemExit) as stop:
        main(["serve", "ssh", "--authorized-keys", str(garbage), "--max-sessions", "0"])
    assert stop.value.code == 2
    assert "--max-sessions: must be >= 1, got 0" in one_error(capsys)


def test_only_loopback_is_served_without_a_warning() -> None:
    assert open_warning("127.0.0.1") is None and open_warning("localhost") is None
    warning = open_warning("0.0.0.0")
    assert warning is not None and "anyone who can reach this port can open the app" in warning


def test_a_spec_travels_to_the_students_unchanged() -> None:
    batch = """
name = "batch"
layers = [2, 3, 3]
activation = "tanh"
output_activation = "softmax"
loss = "cross_entropy"
inputs = [[0.5, -1.0], [0.25, 2.0]]
targets = [2, 0]
seed = 7
"""
    for spec in (parse_spec_text(CLASSIC_TEXT, "classic"), parse_spec_text(batch, "b.toml")):
        sent = json.loads(json.dumps(spec_document(spec)))
        assert parse_spec(sent, "the teacher's network") == spec


async def test_a_slow_student_gets_the_latest_state_not_a_queue() -> None:
    hub = Hub()
    await hub.start()
    try:
        assert oct(hub.directory.stat().st_mode & 0o777) == "0o700"
        reader, writer = await asyncio.open_unix_connection(str(hub.path))
        writer.write(json.dumps({"token": hub.new_token("student")}).encode() + b"\n")
        assert json.loads(await reader.readline()) == {"role": "student"}
        stranger_r, stranger_w = await asyncio.open_unix_connection(str(hub.path))
        stranger_w.write(b'{"token": "guess"}\n')
        assert json.loads(await stranger_r.readline()) == {"role": None}
        assert await stranger_r.read() == b""  # and the hub hangs up
        padding = "x" * 20_000
        for step in range(500):  # the student reads nothing meanwhile
            hub.publish({"source": {"pad": padding}, "step": step})
            await asyncio.sleep(0)
        await asyncio.sleep(0.2)
        got = []
        while not got or got[-1] != 499:
            got.append(json.loads(await asyncio.wait_for(reader.readline(), 10))["step"])
        assert got[-1] == 499 and len(got) < 100, len(got)
        assert got == sorted(got)
        writer.close()
    finally:
        await hub.close()
    assert not hub.directory.exists()
