"""A source given before the subcommand (``bptrace --spec F export``) applies to the subcommand.

The top-level parser stores its source options (``--spec``, ``--example``, ``--model``,
``--state``, ``--lr``) under ``top_<name>``; :func:`merge_sources` moves them to ``<name>``,
where the app and every subcommand read them. The same option given on both sides, two
sources at once, or a source before a command that traces nothing is refused.
"""

from __future__ import annotations

import argparse

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
        if top is None:
            if here is _ABSENT:
                setattr(args, name, None)
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
