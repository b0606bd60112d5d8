"""The message catalog: every user-facing text goes through :func:`_` (gettext).

English is the source language; the Simplified Chinese catalog lives in
``bptrace/locale/zh_CN/LC_MESSAGES/bptrace.po`` (compiled to ``bptrace.mo`` beside it, which is
committed so that an installed package needs no build step). Messages are extracted from the
source with Babel (``make catalogs``). :func:`N_` marks a text for extraction whose translation
happens later, when it is shown (the descriptions of key bindings, made at import time).

Names of quantities (``w5``, ``∂loss/∂w5``) and numbers are never translated: the messages hold
them as ``{placeholders}``. The language is chosen once per process: ``--lang en|zh``, else the
environment (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, the first that is set), else
English.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "bptrace"
LANGUAGES = ("en", "zh")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_CATALOG_NAMES = {"zh": "zh_CN"}

_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the locale asks for Chinese, else ``en`` (the POSIX order of variables)."""
    env = os.environ if environ is None else environ
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            first = value.split(":")[0].lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


def set_language(lang: str | None) -> str:
    """Use ``lang`` (``en`` or ``zh``; None: from the environment) from now on; returns it."""
    global _translation, _language
    chosen = language_from_env() if lang is None else lang
    if chosen not in LANGUAGES:
        raise ValueError(f"unknown language {chosen!r}")
    if chosen == "en":
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[_CATALOG_NAMES[chosen]]
        )
    _language = chosen
    return chosen


def language() -> str:
    """The language in use: ``en`` or ``zh``."""
    return _language


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form of a message for ``n`` things, in the language in use."""
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it now (see :func:`_`)."""
    return message
