"""User-supplied text inside an error message: escaped and cut, so a message stays one line.

A key, a value or a path the user gave may hold newlines, terminal escape sequences (``ESC[2J``
would clear the screen) or a megabyte of text. :func:`q` shows it ``repr``-style (control
characters as ``\\n``, ``\\x1b``) and cuts it to a sane length; :func:`one_line` is the last
guard the CLI puts on every message.
"""

from __future__ import annotations

import os
import reprlib

from bptrace.i18n import _

QUOTE_LIMIT = 80  # characters of a user's string shown in a message
LINE_LIMIT = 300  # characters of a whole ``bptrace: error: ...`` line


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 3, 6, 6, QUOTE_LIMIT
_SHORT.maxother = QUOTE_LIMIT


def q(text: object, limit: int = QUOTE_LIMIT) -> str:
    """``repr``-style quoting of a user's string (or any value), cut to about ``limit``.

    Lists and tables are shown to a few levels and items (``[[[...], ...], ...]``), so a deeply
    nested or huge value costs little to describe.
    """
    value = os.fspath(text) if isinstance(text, os.PathLike) else text
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = _number(value)
    elif isinstance(value, (str, bytes)):
        if len(value) <= limit:
            return repr(value)
        return repr(value[:limit]) + _("…(+{count} characters)").format(
            count=f"{len(value) - limit:,}"
        )
    else:
        shown = _SHORT.repr(value)
    if len(shown) <= limit:
        return shown
    return shown[: limit - 1] + _("…(+{count} characters)").format(count=len(shown) - limit + 1)


def _number(value: float) -> str:
    if isinstance(value, int) and abs(value) >= 10**30:
        return _("an integer of about {digits} digits").format(
            digits=int(value.bit_length() * 0.30103) + 1
        )

    return repr(value)


PATH_LIMIT = 200  # characters of a printable path shown as it is


def path_text(path: object, limit: int = PATH_LIMIT) -> str:
    """A path for a message: as it is when printable and not too long, else quoted and cut."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
    if isinstance(text, bytes):
        return q(text)
    if text.isprintable() and len(text) <= limit and text.strip() == text and text:
        return text
    return q(text, min(limit, 120))


def one_line(message: str, limit: int = LINE_LIMIT) -> str:
    """``message`` with any control character escaped, cut to ``limit`` characters."""
    if not message.isprintable():
        message = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
    if len(message) > limit:
        message = message[: limit - 1] + "…"
    return message
