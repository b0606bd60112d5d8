"""bptrace's formula notation (``∂loss/∂o1 · o1(1 − o1)``) as LaTeX math.

The formulas and substituted numbers of :mod:`bptrace.model.steps` use a small, fixed notation:
names such as ``w5``, ``∂a/∂b`` fractions, ``σ``, ``e^(…)``, ``²``, ``·``, ``×``, ``−``, ``←``,
``Σₙ`` and ``… (3 more)``. :func:`to_latex` turns it into amsmath input — ``\\frac{\\partial
L}{\\partial w_{5}}``, ``\\sigma``, subscripts — with no Unicode left in the math. With
``blanks``, every number that is not a constant of the formula becomes :data:`BLANK`, which each
renderer replaces by its own blank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

BLANK = "\x00BLANK\x00"
LOSS = "L"

_NUM = r"\d+(?:\.\d+)?(?:e[−+-]?\d+)?|nan|inf"
_TOKEN = re.compile(
    rf"(?P<frac>∂(?P<top>loss|[a-z]+\d+)/∂(?P<bottom>loss|[a-z]+\d+))"
    rf"|(?P<more>…\s*\((?P<count>\d+) more\))"
    rf"|(?P<signed>\(−(?:{_NUM})\)|^−(?:{_NUM}))"
    rf"|(?P<num>{_NUM})"
    r"|(?P<name>[A-Za-z]+\d*)"
    r"|(?P<space>\s+)"
    r"|(?P<char>.)"
)
_NAMED = re.compile(r"^([a-z])(\d+)$")
_WORDS = {
    "loss": LOSS,
    "tanh": r"\tanh",
    "max": r"\max",
    "ln": r"\ln",
    "sign": r"\operatorname{sign}",
    "softmax": r"\operatorname{softmax}",
    "lr": r"\mathrm{lr}",
    "if": r"\ \text{if}\ ",
    "else": r"\ \text{else}\ ",
}
_CHARS = {
    "σ": r"\sigma",
    "δ": r"\delta",
    "·": r"\cdot",
    "×": r"\times",
    "−": "-",
    "←": r"\leftarrow",
    "…": r"\ldots",
    "²": "^{2}",
    "Σ": r"\sum",
    "ₙ": "_{n}",
    "{": r"\{",
    "}": r"\}",
    "%": r"\%",
    "#": r"\#",
    "&": r"\&",
    "_": r"\_",
    "~": r"\sim",
    "\\": r"\backslash",
}


def name_latex(name: str) -> str:
    """``w5`` → ``w_{5}``, ``loss`` → ``L``; other words upright."""
    m = _NAMED.match(name)
    if m:
        return f"{m.group(1)}_{{{m.group(2)}}}"
    if name in _WORDS:
        return _WORDS[name]
    return name if len(name) == 1 else rf"\mathrm{{{name}}}"


def number_latex(text: str) -> str:
    """``0.15`` as is, ``3.5e−05`` → ``3.5 \\times 10^{-5}``, ``−0.2`` → ``-0.2``."""
    text = text.replace("−", "-")
    if text in ("nan", "inf", "-inf"):
        return {"nan": r"\mathrm{NaN}", "inf": r"\infty", "-inf": r"-\infty"}[text]
    mantissa, e, exponent = text.partition("e")
    if not e:
        return text
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def frac(top: str, bottom: str) -> str:
    """``∂top/∂bottom`` as a LaTeX fraction."""
    return rf"\frac{{\partial {name_latex(top)}}}{{\partial {name_latex(bottom)}}}"


def numbers_in(text: str) -> set[str]:
    """The numbers written in a formula (its constants, such as the 1s of ``1/(1 + e^(−l1))``)."""
    return {m.group("num") for m in _TOKEN.finditer(text) if m.group("num")}


def to_latex(
    text: str,
    *,
    blanks: bool = False,
    constants: Iterable[str] = (),
    more: Callable[[int], str] | None = None,
) -> str:
    """LaTeX math for ``text``; with ``blanks``, numbers not in ``constants`` become BLANK.

    ``more(n)`` words an elision ``… (n more)`` (default: English ``n more``).
    """
    keep = set(constants)
    out = ""
    tokens = list(_TOKEN.finditer(text))
    i, spaced = 0, False
    while i < len(tokens):
        m = tokens[i]
        i += 1
        if m.lastgroup == "space":
            spaced = True
            continue
        if m.lastgroup == "char" and m.group() == "^":
            i, exponent = _exponent(tokens, i, blanks, keep, more)
            piece = f"^{{{exponent}}}"
        else:
            piece = _piece(m, blanks, keep, more)
        needed = bool(re.search(r"\\[A-Za-z]+$", out)) and piece[:1].isalpha()
        if out and (spaced or needed):
            out += " "
        out += piece
        spaced = False
    return out


def _piece(
    m: re.Match[str], blanks: bool, keep: set[str], more: Callable[[int], str] | None
) -> str:
    kind, raw = m.lastgroup, m.group()
    if kind == "frac":
        return frac(m.group("top"), m.group("bottom"))
    if kind == "more":
        count = int(m.group("count"))
        words = more(count) if more else f"{count} more"
        return rf"\ldots\ \text{{({words})}}"
    if kind == "signed":
        if blanks:
            return BLANK
        inner = raw.strip("()")
        return f"({number_latex(inner)})" if raw.startswith("(") else number_latex(inner)
    if kind == "num":
        return BLANK if blanks and raw not in keep else number_latex(raw)
    if kind == "name":
        return name_latex(raw)
    if raw in _CHARS:
        return _CHARS[raw]
    return raw if raw.isascii() else r"\text{?}"


def _exponent(
    tokens: list[re.Match[str]],
    i: int,
    blanks: bool,
    keep: set[str],
    more: Callable[[int], str] | None,
) -> tuple[int, str]:
    """The exponent after ``^``: a parenthesised group (parentheses dropped) or one token."""
    while i < len(tokens) and tokens[i].lastgroup == "space":
        i += 1
    if i >= len(tokens):
        return i, ""
    first = tokens[i]
    if first.lastgroup == "signed":  # e^(−0.3775): the parentheses are the exponent's
        return i + 1, f"-{BLANK}" if blanks else number_latex(first.group().strip("()"))
    if first.group() != "(":
        return i + 1, _piece(first, blanks, keep, more)
    depth, j = 0, i
    while j < len(tokens):
        ch = tokens[j].group()
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            break
        j += 1
    inner = "".join(t.group() for t in tokens[i + 1 : j])
    return j + 1, to_latex(inner, blanks=blanks, constants=keep, more=more)
