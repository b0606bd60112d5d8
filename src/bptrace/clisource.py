"""The export's source options: where the model comes from, and what detail the default gives.

A source given before the subcommand (``bptrace --spec F export``) applies to the subcommand.

The top-level parser stores its source options (``--spec``, ``--example``, ``--model``,
``--state``, ``--lr``) under ``top_<name>``; :func:`merge_sources` moves them to ``<name>``,
where the app and every subcommand read them. The same option given on both sides, two
sources at once, or a source before a command that traces nothing is refused.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bptrace.model.errors import BptraceError

SOURCE_OPTIONS = ("spec", "example", "model", "state", "lr")
SOURCES = ("spec", "example", "model")  # at most one of these
_ABSENT = object()


def merge_sources(args: argparse.Namespace) -> None:
    """Apply the top-level source options to the command (or refuse them, one line)."""
    command = getattr(args, "command", None)
    for name in SOURCE_OPTIONS:
        top = vars(args).pop(f"top_{name}", None)
        here = getattr(args, name, _ABSENT)
        if command is None:  # the app itself
            setattr(args, name, top)
            continue
        if top is None:
            if here is _ABSENT:
                setattr(args, name, None)
            continue
        if here is _ABSENT and command == "serve" and name in SOURCES:
            setattr(args, name, top)  # serve checks its own source (and refuses --model)
            continue
        if here is _ABSENT:
            raise BptraceError(
                f"--{name} does not apply to `bptrace {command}` (it reads no model)"
            )
        if here is not None:
            raise BptraceError(f"--{name} given both before and after `{command}`: give it once")
        setattr(args, name, top)
    given = [f"--{name}" for name in SOURCES if getattr(args, name, None) is not None]
    if len(given) > 1:
        raise BptraceError(f"{' and '.join(given)}: give one source of the model, not both")


def note_default_detail(tr: Any, detail: str) -> None:
    """One note on stderr when the default detail gives per-layer tensors only (a big MLP)."""
    from bptrace.model.trace import SCALAR_LIMIT, Trace

    if detail == "auto" and isinstance(tr, Trace) and not tr.small:
        sys.stderr.write(
            f"bptrace: note: {tr.scalar_count():,} scalars is over {SCALAR_LIMIT:,}: exporting "
            "per-layer tensors only (--detail scalars adds every scalar's node and step)\n"
        )
