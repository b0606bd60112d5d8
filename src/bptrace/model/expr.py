"""A learner's formula: parsed into a tree of allowed nodes only, and evaluated with numpy.

The text is parsed by Python's own parser (``ast.parse(..., mode="eval")``, which never runs
anything) and the syntax tree is walked against a whitelist: numbers, the network's own names,
``+ - * / **``, unary minus, parentheses, and calls of ``exp log sigmoid tanh relu sqrt abs``
by plain name. Anything else is refused with one line saying what is not allowed. Length,
nesting depth and size are checked before the recursive walk, so it can never run out of
stack. Evaluation is numpy float64 arithmetic on the tree: no Python code is ever evaluated.

The step pane's own notation is accepted too: ``·`` and ``×`` for ``*``, ``−`` for ``-``,
``^`` and ``²`` for powers, ``σ`` for sigmoid, and a name or number written before a
parenthesis as a product (``h1(1 − h1)``, ``2(o1 − t1)``).
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Union

import numpy as np
from numpy.typing import NDArray

from bptrace.i18n import N_, _, language
from bptrace.model.errors import BptraceError

Array = NDArray[np.float64]
MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NODES = 600
MAX_EXPONENT = 64.0
FUNCTIONS = ("exp", "log", "sigmoid", "tanh", "relu", "sqrt", "abs")
ALIASES = {"σ": "sigmoid", "ln": "log"}
_REPLACE = {"·": "*", "×": "*", "⋅": "*", "∗": "*", "−": "-", "–": "-", "÷": "/", "^": "**"}
_SUPERSCRIPT = {"²": "**2", "³": "**3"}
_NAME = re.compile(r"^(?:[ithlowb][1-9][0-9]{0,5}|loss|e|pi)$")


class FormulaError(BptraceError):
    """A formula that is refused: not allowed, unknown name, too long or too deep."""


@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Neg:
    arg: Expr


@dataclass(frozen=True)
class Bin:
    op: str  # + - * / **
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    fn: str
    arg: Expr


@dataclass(frozen=True)
class Grad:
    """∂loss/∂name, a leaf of a correct chain whose formula is not written out (a softmax)."""

    name: str


@dataclass(frozen=True)
class Prod:
    """A product of labelled factors (``∂o1/∂l3``, ...): a chain of the chain rule."""

    factors: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True)
class Sum:
    """A sum of labelled terms (``via l3``, ``via l4``): one term per path."""

    terms: tuple[tuple[str, Expr], ...]


Expr = Union[Num, Var, Neg, Bin, Call, Grad, Prod, Sum]  # noqa: UP007 - used at runtime

_REFUSED: dict[type[ast.AST], str] = {  # translated when said (see _refused)
    ast.Attribute: N_("attributes (a.b)"),
    ast.Subscript: N_("subscripts (a[...])"),
    ast.Lambda: N_("lambdas"),
    ast.ListComp: N_("comprehensions"),
    ast.SetComp: N_("comprehensions"),
    ast.DictComp: N_("comprehensions"),
    ast.GeneratorExp: N_("comprehensions"),
    ast.JoinedStr: N_("strings"),
    ast.Compare: N_("comparisons"),
    ast.BoolOp: N_("and/or"),
    ast.IfExp: N_("if/else"),
    ast.NamedExpr: N_("assignments (:=)"),
    ast.Starred: N_("starred arguments"),
    ast.Tuple: N_("tuples or commas"),
    ast.List: N_("lists"),
    ast.Set: N_("sets"),
    ast.Dict: N_("dicts"),
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_OPS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "**",
}


def normalise(text: str) -> str:
    """The step pane's notation in Python's: ``·`` → ``*``, ``−`` → ``-``, ``²`` → ``**2``."""
    for a, b in {**_REPLACE, **_SUPERSCRIPT}.items():
        text = text.replace(a, b)
    return text


def parse(text: str, names: Callable[[str], bool]) -> Expr:
    """Parse ``text`` into an Expr; ``names(n)`` says whether ``n`` is one of the network's."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            _("the formula is too long ({length} characters; at most {limit})").format(
                length=len(text), limit=MAX_LENGTH
            )
        )
    if not text.strip():
        raise FormulaError(_("the formula is empty"))
    src = normalise(text).strip()
    for ch in src:
        if ch in "'\"":
            raise FormulaError(_("strings are not allowed in a formula"))
        if ch in ";@\\`$!?&|~<>%#" or ord(ch) < 32 or ord(ch) == 127:
            raise FormulaError(
                _("the character {char!r} is not allowed in a formula").format(char=ch)
            )
    depth = best = 0
    for ch in src:
        depth += ch == "("
        depth -= ch == ")"
        best = max(best, depth)
    if best > MAX_DEPTH:
        raise FormulaError(
            _("the formula is nested too deeply ({depth} levels; at most {limit})").format(
                depth=best, limit=MAX_DEPTH
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            _("cannot read the formula: {error}").format(error=syntax_words(exc.msg))
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(_("the formula is nested too deeply")) from None
    _check_shape(tree.body)
    return _walk(tree.body, names)


def _refused(what: str) -> FormulaError:
    """``{what} are not allowed in a formula``, ``what`` (a :data:`_REFUSED` text) translated."""
    return FormulaError(_("{what} are not allowed in a formula").format(what=_(what)))


_SYNTAX = (  # Python's words for the usual slips, translated; any other stays Python's
    (re.compile(r"^invalid syntax$"), N_("invalid syntax")),
    (
        re.compile(r"^invalid syntax\. Perhaps you forgot a comma\?$"),
        N_("invalid syntax (a comma missing?)"),
    ),
    (re.compile(r"^(?P<char>'.') was never closed$"), N_("{char} was never closed")),
    (re.compile(r"^unmatched (?P<char>'.')$"), N_("unmatched {char}")),
    (re.compile(r"^invalid decimal literal$"), N_("invalid decimal literal")),
)


def syntax_words(message: str) -> str:
    """Python's own syntax-error message, in the language in use when it is a usual one."""
    if language() == "en":
        return message
    for pattern, text in _SYNTAX:
        found = pattern.match(message)
        if found:
            return _(text).format(**found.groupdict())
    return message


def _check_shape(root: ast.AST) -> None:
    """Count nodes and depth with an explicit stack, before any recursion."""
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise FormulaError(
                _("the formula is too large (more than {limit} parts)").format(limit=MAX_NODES)
            )
        if depth > MAX_DEPTH:
            raise FormulaError(
                _("the formula is nested too deeply (at most {limit} levels)").format(
                    limit=MAX_DEPTH
                )
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _number(value: object) -> Num:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str | bytes):
            raise FormulaError(_("strings are not allowed in a formula"))
        raise FormulaError(
            _("{type} values are not allowed in a formula").format(type=type(value).__name__)
        )
    try:
        number = float(value)
    except OverflowError:
        raise FormulaError(_("a number in the formula is too large")) from None
    if not np.isfinite(number):
        raise FormulaError(_("a number in the formula is too large"))
    return Num(number)


def _name(node: ast.Name, names: Callable[[str], bool]) -> Expr:
    ident = ALIASES.get(node.id, node.id)
    if ident.startswith("_") or "__" in ident:
        raise FormulaError(
            _("the name {name!r} is not allowed (no underscore names)").format(name=node.id)
        )
    if ident in FUNCTIONS:
        raise FormulaError(_("{name} is a function: write {name}(...)").format(name=ident))
    if ident == "e":
        return Num(float(np.e))
    if ident == "pi":
        return Num(float(np.pi))
    if not _NAME.match(ident) or not names(ident):
        raise FormulaError(
            _(
                "unknown name {name!r}: use the network's own names (i1, t1, w5, b3, l3, h1, o1, "
                "loss), numbers and the functions {functions}"
            ).format(name=node.id, functions=", ".join(FUNCTIONS))
        )
    return Var(ident)


def _walk(node: ast.AST, names: Callable[[str], bool]) -> Expr:
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.Name):
        return _name(node, names)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return Neg(_walk(node.operand, names))
        if isinstance(node.op, ast.UAdd):
            return _walk(node.operand, names)
        raise FormulaError(_("only unary minus is allowed (not `not` or `~`)"))
    if isinstance(node, ast.BinOp):
        op = _OPS.get(type(node.op))
        if op is None:
            raise FormulaError(_("only + - * / ** are allowed (not //, %, @, bit operators)"))
        left, right = _walk(node.left, names), _walk(node.right, names)
        if op == "**":
            power = _const(right)
            if power is not None and not abs(power) <= MAX_EXPONENT:
                raise FormulaError(
                    _("the exponent is too large (at most {limit})").format(
                        limit=f"{MAX_EXPONENT:g}"
                    )
                )
        return Bin(op, left, right)
    if isinstance(node, ast.Call):
        return _call(node, names)
    raise _refused(_REFUSED.get(type(node), type(node).__name__))


def _const(expr: Expr) -> float | None:
    """The value of a subtree made of numbers only (float64: overflow is inf), else None."""
    if isinstance(expr, Num):
        return expr.value
    if isinstance(expr, Var | Grad | Prod | Sum):
        return None
    if isinstance(expr, Neg | Call) and _const(expr.arg) is None:
        return None
    if isinstance(expr, Bin) and (_const(expr.left) is None or _const(expr.right) is None):
        return None
    from bptrace.model.expr_eval import Env, evaluate  # it imports the tree's classes from here

    value = evaluate(expr, Env(lambda n: 0.0, lambda n: 0.0))
    return float(value)


def _call(node: ast.Call, names: Callable[[str], bool]) -> Expr:
    if node.keywords:
        raise FormulaError(_("keyword arguments are not allowed in a formula"))
    func = node.func
    if isinstance(func, ast.Constant) or (
        isinstance(func, ast.Name) and ALIASES.get(func.id, func.id) not in FUNCTIONS
    ):
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise FormulaError(
                _("write a product with * (or ·), not a call with several arguments")
            )
        # ``h1(1 − h1)`` or ``2(o1 − t1)``: the step pane's implicit product
        left = _number(func.value) if isinstance(func, ast.Constant) else _name(func, names)
        return Bin("*", left, _walk(node.args[0], names))
    if not isinstance(func, ast.Name):
        raise _refused(_REFUSED.get(type(func), N_("calls of anything but a plain function name")))
    fn = ALIASES.get(func.id, func.id)
    if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
        raise FormulaError(_("{name} takes exactly one argument").format(name=fn))
    return Call(fn, _walk(node.args[0], names))
