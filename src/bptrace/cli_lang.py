"""``--lang en|zh`` on every command, and argparse's own words in the chosen language.

The option is taken out of the arguments before argparse sees them (so it is accepted
anywhere, before or after the command) and the language set before the parser is built,
so every help text is in that language. Argparse's messages (``usage:``, ``invalid choice``)
are looked up in bptrace's catalog: they are listed below for extraction.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from bptrace.i18n import LANGUAGES, N_, _, ngettext, set_language
from bptrace.model.errors import BptraceError

ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("%(prog)s: error: %(message)s\n"),
)
"""Argparse's messages (Python 3.11-3.13), marked so that ``make catalogs`` extracts them."""


def take_lang(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """``argv`` without its ``--lang X`` / ``--lang=X`` (the last one wins), and X."""
    rest: list[str] = []
    lang: str | None = None
    items = list(argv)
    i = 0
    while i < len(items):
        item = items[i]
        if item == "--":
            rest += items[i:]
            break
        if item == "--lang":
            if i + 1 >= len(items):
                raise BptraceError(_("--lang: expected one of {choices}").format(choices="en, zh"))
            lang = items[i + 1]
            i += 2
            continue
        if item.startswith("--lang="):
            lang = item.partition("=")[2]
        else:
            rest.append(item)
        i += 1
    if lang is not None and lang not in LANGUAGES:
        raise BptraceError(
            _("--lang: unknown language {lang!r} (choose from {choices})").format(
                lang=lang, choices="en, zh"
            )
        )
    return rest, lang


def use_language(lang: str | None) -> str:
    """Set the language (None: from ``LANG`` and friends) and make argparse speak it."""
    chosen = set_language(lang)
    setattr(argparse, "_", _)  # noqa: B010 - argparse looks its messages up through these
    setattr(argparse, "ngettext", ngettext)  # noqa: B010
    return chosen


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    """Show ``--lang`` in the help of ``parser`` and of each of its commands."""
    help_text = _("language of every text: en or zh (default: from LANG, else en)")
    parsers = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            parsers += list(action.choices.values())
    for p in parsers:
        p.add_argument("--lang", choices=LANGUAGES, metavar="{en,zh}", help=help_text)
