"""``bptrace serve web``: the app in browsers, through textual-serve.

textual-serve starts one app process per browser tab (Textual's web driver on its stdin and
stdout); each is marked as served, so it writes no files on the server and runs no user
code. There is no log-in on the web: anyone who can reach the port can open the app, so the
default address is 127.0.0.1 and any other one is warned about.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence

from bptrace.i18n import _
from bptrace.serve.session import app_command

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def open_warning(host: str) -> str | None:
    """What to say when ``host`` is not the loopback address."""
    if host in LOOPBACK:
        return None
    return "bptrace: warning: " + _(
        "serving on {host}: anyone who can reach this port can open the app (there is no "
        "log-in on the web; use `bptrace serve ssh` for a class with keys)"
    ).format(host=host)


def serve_web(host: str, port: int, source_args: Sequence[str]) -> int:
    """Serve the app on http://host:port until SIGINT or SIGTERM."""
    from textual_serve.server import Server

    warning = open_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    for name in [k for k in os.environ if k.startswith("BPTRACE_")]:
        del os.environ[name]
    os.environ["BPTRACE_SERVED"] = "web"  # inherited by every app process textual-serve starts
    command = shlex.join(app_command(source_args))
    Server(command, host=host, port=port, title="bptrace").serve()
    return 0
