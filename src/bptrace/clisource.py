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

from bptrace.i18n import _
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
                _("--{name} does not apply to `bptrace {command}` (it reads no model)").format(
                    name=name, command=command
                )
            )
        if here is not None:
            raise BptraceError(
                _("--{name} given both before and after `{command}`: give it once").format(
                    name=name, command=command
                )
            )
        setattr(args, name, top)
    given = [f"--{name}" for name in SOURCES if getattr(args, name, None) is not None]
    if len(given) > 1:
        raise BptraceError(
            _("{options}: give one source of the model, not both").format(
                options=_(" and ").join(given)
            )
        )


def note_default_detail(tr: Any, detail: str) -> None:
    """One note on stderr when the default detail gives per-layer tensors only (a big MLP)."""
    from bptrace.model.trace import SCALAR_LIMIT, Trace

    if detail == "auto" and isinstance(tr, Trace) and not tr.small:
        sys.stderr.write(
            "bptrace: note: "
            + _(
                "{count:,} scalars is over {limit:,}: exporting per-layer tensors only "
                "(--detail scalars adds every scalar's node and step)"
            ).format(count=tr.scalar_count(), limit=SCALAR_LIMIT)
            + "\n"
        )
