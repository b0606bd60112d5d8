"""A served app's part in a class: no files written, and following (or leading) the teacher.

``bptrace serve`` starts each session's app with ``BPTRACE_SERVED`` set (and, over SSH, the
follow hub's socket and this session's token). The hub answers the token with the session's
role: a teacher's session publishes its source and step after every change; a student's
session applies the newest one while following is on. A student who moves on their own stops
following; ``j`` rejoins.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.spec import Spec, parse_spec
from bptrace.tui.source import Source

if TYPE_CHECKING:
    from bptrace.tui.app import BptraceApp

SERVED_WHY = N_("this app is served to a class: it writes no files on the server")


def served_why() -> str | None:
    """Why writing a file is off (a served session), or None when it is allowed."""
    return _(SERVED_WHY) if os.environ.get("BPTRACE_SERVED") else None


def spec_document(spec: Spec) -> dict[str, Any]:
    """``spec`` as the TOML document it could have been read from (JSON-able)."""
    data = asdict(spec)
    doc = {k: v for k, v in data.items() if k != "activations" and v is not None}
    doc["layers"] = list(spec.layers)
    doc["activation"] = list(spec.activations)
    return dict(json.loads(json.dumps(doc)))


class Classroom:
    """The link of one served session to the follow hub."""

    def __init__(self, app: BptraceApp, path: str, token: str) -> None:
        self.app, self.path, self.token = app, path, token
        self.role = ""  # "teacher" or "student" once the hub has answered
        self.following = True
        self.latest: dict[str, Any] | None = None  # the teacher's newest state
        self.seen: object = None  # the trace last shown on the main screen
        self.writer: asyncio.StreamWriter | None = None
        self.opening: dict[str, Any] | None = None  # the teacher's source this session opened

    @classmethod
    def from_env(cls, app: BptraceApp) -> Classroom | None:
        path, token = os.environ.get("BPTRACE_FOLLOW"), os.environ.get("BPTRACE_FOLLOW_TOKEN")
        return cls(app, path, token) if path and token else None

    @property
    def student(self) -> bool:
        return self.role == "student"

    def note(self) -> str:
        """What the info bar says about following."""
        if self.role == "teacher":
            return _("leading")
        if self.role == "student":
            return _("following") if self.following else _("not following (j)")
        return ""

    async def run(self) -> None:
        """Connect to the hub; a student then applies every state it sends."""
        try:
            reader, self.writer = await asyncio.open_unix_connection(self.path, limit=1 << 20)
            self.writer.write(json.dumps({"token": self.token}).encode() + b"\n")
            await self.writer.drain()
            hello = json.loads(await reader.readline() or b"{}")
            self.role = str(hello.get("role", ""))
            self.show_note()
            if self.role == "teacher":
                self.publish()
            while line := await reader.readline():
                self.latest = json.loads(line)
                if self.following:
                    self.apply()
        except (OSError, ValueError, AttributeError):
            return  # no hub (or it went away): the session goes on on its own

    def show_note(self) -> None:
        self.app.main.classroom = self.note()
        self.app.refresh_bindings()

    def toggle(self) -> None:
        """``j``: follow again (to the teacher's newest step), or stop following."""
        self.following = not self.following
        self.show_note()
        if self.following:
            self.apply()

    # -- the teacher ------------------------------------------------------------------------
    def state(self) -> dict[str, Any] | None:
        """This session's source and step, as sent to the students."""
        main = self.app.main
        if main.trace is None:
            return None
        if main.spec is not None:
            source: dict[str, Any] = {"spec": spec_document(main.spec)}
        elif self.app.source.example is not None:
            source = {"example": self.app.source.example}
        else:
            return None
        return {"source": source, "step": main.index}

    def publish(self) -> None:
        state = self.state()
        if self.writer is not None and state is not None:
            with contextlib.suppress(OSError, RuntimeError):
                self.writer.write(json.dumps(state).encode() + b"\n")

    # -- a student --------------------------------------------------------------------------
    def apply(self) -> None:
        """Bring this session to the teacher's newest state (a new source is traced first)."""
        state, main = self.latest, self.app.main
        if state is None:
            return
        mine = self.state()
        if mine is None or mine["source"] != state["source"]:
            if main.trace is not None or mine is None:
                self.open(state["source"])
            return
        if main.trace is not None and main.index != state["step"]:
            main.index = max(0, min(int(state["step"]), len(main.trace.steps) - 1))

    def open(self, source: dict[str, Any]) -> None:
        self.opening = source
        try:
            if "example" in source:
                self.app.open(Source.of_example(str(source["example"])))
            else:
                spec = parse_spec(source["spec"], _("the teacher's network"))
                self.app.open(Source(spec.name, spec=spec))
        except (BptraceError, KeyError, TypeError):
            self.following = False
            self.show_note()

    def step_shown(self, trace: object) -> None:
        """The main screen shows a step: publish it (teacher), or see if the student moved."""
        new, self.seen = trace is not self.seen, trace
        if self.role == "teacher":
            self.publish()
        elif self.student and self.following and self.latest is not None:
            mine = self.state()
            if mine is None:
                return
            if mine["source"] != self.latest["source"]:
                if not new:
                    return
                if mine["source"] == self.opening:  # the teacher moved on while it loaded
                    self.apply()
                    return
                self.following = False  # the student opened or edited a network of their own
            elif new or mine["step"] == self.latest["step"]:
                self.apply()
                return
            else:
                self.following = False  # the student stepped on their own
            self.show_note()
