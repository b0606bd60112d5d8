"""The ``bptrace serve ssh`` and ``bptrace serve web`` command lines.

Served sessions never run user code: ``--model`` is refused here (exit 2), and the source is
checked once, before the server starts, so a bad spec is one line and no server.
"""

from __future__ import annotations

import argparse
import asyncio
import warnings
from pathlib import Path
from typing import Any

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError

NO_MODEL = N_(
    "--model is not allowed with serve: a served app never runs Python code on the server "
    "(use --spec FILE or --example NAME)"
)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a whole number, got {text!r}").format(text=text)
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("must be >= 1, got {value}").format(value=value))
    return value


def _port(text: str) -> int:
    value = _positive(text) if text != "0" else 0
    if value > 65535:
        raise argparse.ArgumentTypeError(
            _("a port is at most 65535, got {value}").format(value=value)
        )
    return value


def _source(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: a --spec, --example or --model given before ``serve`` is kept, not reset
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--spec", metavar="FILE", default=argparse.SUPPRESS, help=_("network spec (TOML)")
    )
    group.add_argument(
        "--example", metavar="NAME", default=argparse.SUPPRESS, help=_("a built-in example")
    )
    group.add_argument("--model", default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def add_serve(sub: Any) -> None:
    """Register ``serve ssh`` and ``serve web`` on the top-level parser's subcommands."""
    serve = sub.add_parser("serve", help=_("serve the app to a class (ssh or web)"))
    kinds = serve.add_subparsers(dest="serve_kind", metavar="ssh|web", required=True)
    p = kinds.add_parser("ssh", help=_("an SSH server: each student's ssh gets its own app"))
    host = _("address to listen on (default {host})").format(host="127.0.0.1")
    p.add_argument("--host", default="127.0.0.1", help=host)
    p.add_argument(
        "--port", type=_port, default=2222, help=_("port (default {port})").format(port=2222)
    )
    p.add_argument(
        "--authorized-keys", required=True, metavar="FILE", help=_("students' public keys")
    )
    p.add_argument("--teacher-keys", metavar="FILE", help=_("public keys whose sessions lead"))
    p.add_argument("--host-key", metavar="FILE", help=_("the server's key (made on first start)"))
    p.add_argument("--max-sessions", type=_positive, default=40, metavar="N")
    p.add_argument("--idle-timeout", type=_positive, default=1800, metavar="SECONDS")
    _source(p)
    p = kinds.add_parser("web", help=_("serve the app to browsers (textual-serve)"))
    p.add_argument("--host", default="127.0.0.1", help=host)
    p.add_argument(
        "--port", type=_port, default=8000, help=_("port (default {port})").format(port=8000)
    )
    _source(p)


def source_args(args: argparse.Namespace) -> list[str]:
    """The app's source options for each session, checked now (no torch needed)."""
    if getattr(args, "model", None):
        raise BptraceError(_(NO_MODEL))
    if getattr(args, "example", None):
        from bptrace.model.catalog import EXAMPLES

        if args.example not in EXAMPLES:
            raise BptraceError(
                _("unknown example {name!r} (see --list-examples)").format(name=args.example)
            )
        return ["--example", args.example]
    if getattr(args, "spec", None):
        from bptrace.model.spec import read_spec

        read_spec(args.spec)
        return ["--spec", str(Path(args.spec).resolve())]
    return []


def cmd_serve(args: argparse.Namespace) -> int:
    sources = source_args(args)
    if args.serve_kind == "web":
        from bptrace.serve.web import serve_web

        return serve_web(args.host, args.port, sources)
    for option in ("authorized_keys", "teacher_keys", "host_key"):
        if getattr(args, option) == "":  # an unset shell variable: not "no file", nor "."
            name = option.replace("_", "-")
            raise BptraceError(_("--{option}: empty file name").format(option=name))
    with warnings.catch_warnings():  # asyncssh's DSA support warns on import: not our line
        warnings.simplefilter("ignore")
        from bptrace.serve.keys import ClientKeys, default_host_key
        from bptrace.serve.ssh import Options, serve

    keys = ClientKeys(
        Path(args.authorized_keys), Path(args.teacher_keys) if args.teacher_keys else None
    )
    options = Options(
        host=args.host,
        port=args.port,
        keys=keys,
        host_key=Path(args.host_key) if args.host_key else default_host_key(),
        max_sessions=args.max_sessions,
        idle_timeout=float(args.idle_timeout),
        source_args=sources,
    )
    return asyncio.run(serve(options))
