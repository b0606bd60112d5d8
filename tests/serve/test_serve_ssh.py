"""``bptrace serve ssh`` with the real OpenSSH client: the app, the refusals, the class limit,
following the teacher, and no process left behind (slow: each session starts an app)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from serve_helpers import Client, Server, marked_pids

pytestmark = pytest.mark.slow
RIGHT = b"\x1b[C"
FIRST = "step 1 / 43"  # the classic network has 43 steps


def wait_until(check: Callable[[], bool], timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_the_app_appears_a_key_steps_q_exits_0(
    ssh_server: Callable[..., tuple[Server, int]],
    client: Callable[..., Client],
    tmp_path: Path,
) -> None:
    server, port = ssh_server()
    assert "host key created" in server.log
    assert stat.S_IMODE(os.stat(tmp_path / "hk").st_mode) == 0o600
    fingerprint = server.log.split("(SHA256:", 1)[1].split(")", 1)[0]
    assert len(fingerprint) == 43
    student = client(port, "student", size=(70, 24))
    assert student.wait_for(FIRST), student.text[-2000:]
    assert "(2-2-2, mse)" not in student.text  # 70 columns: the info bar leaves the sizes out
    seen = len(student.raw)
    student.send(RIGHT)
    assert student.wait_for("step 2 / 43", after=seen), student.text[-2000:]
    seen = len(student.raw)
    student.resize(120, 30)  # the client's window grows: the app is resized and redrawn
    assert student.wait_for("(2-2-2, mse)", 30, after=seen), student.text[-2000:]
    student.send(b"q")
    assert student.wait_exit() == 0
    assert server.wait_log("disconnect 127.0.0.1:", 10)
    connects = [line for line in server.log.splitlines() if " connect 127.0.0.1:" in line]
    assert len(connects) == 1 and "SHA256:" in connects[0] and "(student)" in connects[0]


def test_the_host_key_is_reused(ssh_server: Callable[..., tuple[Server, int]]) -> None:
    first, _ = ssh_server()
    first.stop()
    second, _ = ssh_server()
    assert "host key using" in second.log
    printed = [s.log.split("(SHA256:", 1)[1].split(")", 1)[0] for s in (first, second)]
    assert printed[0] == printed[1]


def test_an_unknown_key_is_refused(
    ssh_server: Callable[..., tuple[Server, int]], client: Callable[..., Client]
) -> None:
    server, port = ssh_server()
    stranger = client(port, "stranger")
    assert stranger.wait_exit() == 255
    assert "Permission denied (publickey)" in stranger.text
    assert server.wait_log("refused 127.0.0.1:", 10)
    assert " connect 127.0.0.1:" not in server.log


def test_a_command_runs_nothing(
    ssh_server: Callable[..., tuple[Server, int]], keys: dict[str, Path], tmp_path: Path, mark: str
) -> None:
    server, port = ssh_server()
    marker = tmp_path / "should-not-exist"
    options = ["-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "BatchMode=yes"]
    options += ["-o", f"UserKnownHostsFile={tmp_path / 'kh'}", "-o", "IdentitiesOnly=yes"]
    options += ["-i", str(keys["student"]), "-p", str(port), "127.0.0.1"]
    done = subprocess.run(
        ["ssh", *options, "cat", "/etc/passwd"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert "root:" not in done.stdout
    assert done.stderr.strip().splitlines()[-1] == (
        "bptrace: this server runs only the bptrace app; commands are not allowed"
    )
    done = subprocess.run(
        ["ssh", *options, "touch", str(marker)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1 and not marker.exists()
    sftp = subprocess.run(
        ["ssh", "-s", *options, "sftp"], capture_output=True, text=True, timeout=30
    )
    assert sftp.returncode != 0
    assert marked_pids(mark, app_only=True) == []  # no app was started for any of them


def test_the_teacher_leads_and_a_student_follows(
    ssh_server: Callable[..., tuple[Server, int]], client: Callable[..., Client]
) -> None:
    _, port = ssh_server()
    teacher, student = client(port, "teacher"), client(port, "student", size=(80, 24))
    assert teacher.wait_for("leading"), teacher.text[-2000:]
    assert student.wait_for("· following"), student.text[-2000:]
    seen = len(student.raw)
    teacher.send(RIGHT * 3)
    assert teacher.wait_for("step 4 / 43", 20)
    assert student.wait_for("step 4 / 43", timeout=2, after=seen), student.text[-2000:]
    # the student moves on their own: following stops, and the teacher's steps no longer apply
    seen = len(student.raw)
    student.send(RIGHT)
    assert student.wait_for("not following", 20, after=seen)
    teacher.send(b"b")  # the first backward step
    assert teacher.wait_for("backward · step 10 / 43", 20)
    time.sleep(1)
    assert "step 10 / 43" not in student.text[seen:]
    student.send(b"j")  # rejoin: straight to the teacher's newest step
    assert student.wait_for("· following", 20, after=seen)


def test_over_max_sessions_the_class_is_full(
    ssh_server: Callable[..., tuple[Server, int]], client: Callable[..., Client]
) -> None:
    _, port = ssh_server("--max-sessions", "1")
    first = client(port, "student")
    assert first.wait_for(FIRST)
    second = client(port, "student2")
    assert second.wait_exit() == 1
    assert "the class is full" in second.text
    assert first.process.poll() is None  # the first session is untouched


def test_killing_a_client_ends_its_session_process(
    ssh_server: Callable[..., tuple[Server, int]], client: Callable[..., Client], mark: str
) -> None:
    server, port = ssh_server()
    one, two = client(port, "student"), client(port, "student2")
    assert one.wait_for(FIRST) and two.wait_for(FIRST)
    assert len(marked_pids(mark, app_only=True)) == 2
    os.killpg(one.process.pid, signal.SIGKILL)
    assert wait_until(lambda: len(marked_pids(mark, app_only=True)) == 1, 15)
    seen = len(two.raw)
    two.send(RIGHT)  # the other student's session goes on
    assert two.wait_for("step 2 / 43", 20, after=seen)
    assert server.stop() == 0  # SIGTERM: every session ended, a clean exit
    assert "shutting down: ending 1 session(s)" in server.log
    assert two.wait_exit() is not None
    assert marked_pids(mark) == []


def test_an_idle_session_is_ended(
    ssh_server: Callable[..., tuple[Server, int]], client: Callable[..., Client], mark: str
) -> None:
    _, port = ssh_server("--idle-timeout", "3")
    student = client(port, "student")
    assert student.wait_exit(60) == 1
    assert "bptrace: idle for too long; the session has ended" in student.text
    assert wait_until(lambda: marked_pids(mark, app_only=True) == [], 15)
