"""``bptrace serve web``: the app in browsers, through textual-serve.

textual-serve starts one app process per browser tab (Textual's web driver on its stdin and
stdout); each is marked as served, so it writes no files on the server and runs no user
code. There is no log-in on the web: anyone who can reach the port can open the app, so the
default address is 127.0.0.1 and any other one is warned about.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import socket
import sys
from collections.abc import Sequence

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.serve.session import app_command

BIND_ERRORS = (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def open_warning(host: str) -> str | None:
    """What to say when ``host`` is not the loopback address."""
    if host in LOOPBACK:
        return None
    return "bptrace: warning: " + _(
        "serving on {host}: anyone who can reach this port can open the app (there is no "
        "log-in on the web; use `bptrace serve ssh` for a class with keys)"
    ).format(host=host)


def cannot_listen(host: str, port: int, exc: OSError) -> BptraceError:
    """The one line for an address that cannot be listened on (as ``serve ssh`` says it)."""
    why = _("cannot listen on {address} ({error})").format(
        address=f"{host}:{port}", error=exc.strerror or exc
    )
    return BptraceError(why)


def check_listen(host: str, port: int) -> None:
    """Bind ``host:port`` as the server will (and let go): refuse an unresolvable or busy one."""
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except OSError as exc:  # socket.gaierror: a name that does not resolve
        raise cannot_listen(host, port, exc) from None
    for family, kind, proto, _name, address in infos:
        try:
            sock = socket.socket(family, kind, proto)
        except OSError:  # a family this machine lacks (no IPv6): the server skips it too
            continue
        with sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as exc:
                raise cannot_listen(host, port, exc) from None


def serve_web(host: str, port: int, source_args: Sequence[str]) -> int:
    """Serve the app on http://host:port until SIGINT or SIGTERM."""
    from textual_serve.server import Server

    check_listen(host, port)  # one line, before the warning and before any server
    warning = open_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    for name in [k for k in os.environ if k.startswith("BPTRACE_")]:
        del os.environ[name]
    os.environ["BPTRACE_SERVED"] = "web"  # inherited by every app process textual-serve starts
    command = shlex.join(app_command(source_args))
    try:
        Server(command, host=host, port=port, title="bptrace").serve()
    except OSError as exc:  # taken between the check and the start
        if isinstance(exc, socket.gaierror) or exc.errno in BIND_ERRORS:
            raise cannot_listen(host, port, exc) from None
        raise
    return 0
