"""``bptrace serve web`` in headless Chromium, driven over its DevTools protocol: the page
loads, the terminal shows the app's first step, a key press steps; a screenshot is kept.

What the terminal shows is read from the websocket frames the page receives (the bytes its
xterm.js draws); the screenshot is for a person to look at (kept in ``BPTRACE_SCREENSHOTS``
when that names a directory). Slow: it starts a browser and an app.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from serve_helpers import MARK, Server, free_port, marked_pids

if TYPE_CHECKING:
    from websockets.sync.client import ClientConnection

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,800",
]


def get_json(url: str, timeout: float = 30) -> Any:
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.2)


class Page:
    """One page of the browser, over a DevTools websocket; terminal output gathered."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.next_id = 0
        self.terminal = b""

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self.pump(30)
            if message is not None and message.get("id") == self.next_id:
                return dict(message.get("result", {}))

    def pump(self, timeout: float) -> dict[str, Any] | None:
        try:
            message = json.loads(self.ws.recv(timeout))
        except TimeoutError:
            return None
        if message.get("method") == "Network.webSocketFrameReceived":
            frame = message["params"]["response"]
            data = frame["payloadData"]
            self.terminal += base64.b64decode(data) if frame["opcode"] == 2 else data.encode()
        return dict(message)

    def wait_for(self, text: str, timeout: float, after: int = 0) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text.encode() in self.terminal[after:]:
                return True
            self.pump(0.2)
        return False

    def key(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.call(
                "Input.dispatchKeyEvent",
                type=kind,
                key=key,
                code=key,
                windowsVirtualKeyCode=code,
                nativeVirtualKeyCode=code,
            )


@pytest.fixture
def browser(tmp_path: Path, mark: str) -> Iterator[str]:
    """Headless Chromium with a fresh profile; the DevTools address of its first page."""
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make install installs it)")
    port = free_port()
    process = subprocess.Popen(
        [
            CHROMIUM,
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--remote-debugging-port={port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, MARK: mark},
        start_new_session=True,
    )
    try:
        pages = [t for t in get_json(f"http://127.0.0.1:{port}/json/list") if t["type"] == "page"]
        yield pages[0]["webSocketDebuggerUrl"]
    finally:
        os.killpg(process.pid, 9)
        process.wait(10)


def test_the_app_in_a_browser_steps(browser: str, mark: str, tmp_path: Path) -> None:
    port = free_port()
    server = Server(["web", "--port", str(port)], mark, ready="Serving")
    try:
        assert "warning" not in server.log  # 127.0.0.1: no warning
        from websockets.sync.client import connect

        with connect(browser, max_size=None, open_timeout=30) as ws:
            drive(Page(ws), port, tmp_path)
    finally:
        assert server.stop() is not None
    for _ in range(100):  # the server's end ends the app it started
        if not marked_pids(mark, app_only=True):
            break
        time.sleep(0.1)
    assert marked_pids(mark, app_only=True) == []


def drive(page: Page, port: int, tmp_path: Path) -> None:
    """Load the page, see the first step, press → and see the second; keep a screenshot."""
    page.call("Network.enable")
    page.call("Page.enable")
    page.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
    assert page.wait_for("step 1 / 43", 90), page.terminal[-3000:]
    page.call("Input.dispatchMouseEvent", type="mousePressed", x=600, y=400, button="left")
    page.call("Input.dispatchMouseEvent", type="mouseReleased", x=600, y=400, button="left")
    seen = len(page.terminal)
    page.key("ArrowRight", 39)
    assert page.wait_for("step 2 / 43", 30, after=seen), page.terminal[-3000:]
    page.wait_for("never", 1.0)  # let the frame be drawn
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png")["data"])
    assert shot.startswith(b"\x89PNG")
    (tmp_path / "serve-web.png").write_bytes(shot)
    keep = os.environ.get("BPTRACE_SCREENSHOTS")
    if keep and Path(keep).is_dir():
        (Path(keep) / "serve-web.png").write_bytes(shot)
