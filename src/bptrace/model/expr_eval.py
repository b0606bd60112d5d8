"""Evaluation of a learner's formula tree (:mod:`bptrace.model.expr`) with numpy, and the
questions the checker asks of a tree: which names it reads, which numbers it writes, and the
tree with given numbers renamed. Nothing here evaluates text: only the tree that the parser
built from a whitelist of nodes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bptrace.model.expr import Array, Bin, Call, Expr, Grad, Neg, Num, Prod, Sum, Var


class Env:
    """Values for evaluation: ``value(name)`` and ``grad(name)``, scalars or per-sample arrays."""

    def __init__(self, value: Callable[[str], Array | float], grad: Callable[[str], Array | float]):
        self.value = value
        self.grad = grad


def _sigmoid(x: Array) -> Array:
    out: Array = 0.5 * (1.0 + np.tanh(0.5 * x))
    return out


_FN: dict[str, Callable[[Array], Array]] = {
    "exp": np.exp,
    "log": np.log,
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
    "sqrt": np.sqrt,
    "abs": np.abs,
}


def evaluate(expr: Expr, env: Env) -> Array:
    """The value of ``expr`` (numpy float64; inf/nan rather than an exception)."""
    with np.errstate(all="ignore"):
        return np.asarray(_eval(expr, env), dtype=np.float64)


def _eval(expr: Expr, env: Env) -> Array:
    if isinstance(expr, Num):
        return np.float64(expr.value)  # type: ignore[return-value]
    if isinstance(expr, Var):
        return np.asarray(env.value(expr.name), dtype=np.float64)
    if isinstance(expr, Grad):
        return np.asarray(env.grad(expr.name), dtype=np.float64)
    if isinstance(expr, Neg):
        return -_eval(expr.arg, env)
    if isinstance(expr, Call):
        return _FN[expr.fn](_eval(expr.arg, env))
    if isinstance(expr, Prod):
        out: Array = np.float64(1.0)  # type: ignore[assignment]
        for _, f in expr.factors:
            out = out * _eval(f, env)
        return out
    if isinstance(expr, Sum):
        total: Array = np.float64(0.0)  # type: ignore[assignment]
        for _, t in expr.terms:
            total = total + _eval(t, env)
        return total
    a, b = _eval(expr.left, env), _eval(expr.right, env)
    if expr.op == "+":
        return a + b
    if expr.op == "-":
        return a - b
    if expr.op == "*":
        return a * b
    if expr.op == "/":
        return a / b
    return np.power(a, b)


def variables(expr: Expr) -> set[str]:
    """Every network name the expression reads."""
    if isinstance(expr, Var):
        return {expr.name}
    if isinstance(expr, Neg | Call):
        return variables(expr.arg)
    if isinstance(expr, Bin):
        return variables(expr.left) | variables(expr.right)
    if isinstance(expr, Prod):
        return set().union(*(variables(f) for _, f in expr.factors))
    if isinstance(expr, Sum):
        return set().union(*(variables(t) for _, t in expr.terms))
    return set()


def has_grad(expr: Expr) -> bool:
    """Whether the expression holds a ∂loss/∂x leaf (whose names are not written out)."""
    if isinstance(expr, Grad):
        return True
    if isinstance(expr, Neg | Call):
        return has_grad(expr.arg)
    if isinstance(expr, Bin):
        return has_grad(expr.left) or has_grad(expr.right)
    if isinstance(expr, Prod):
        return any(has_grad(f) for _, f in expr.factors)
    if isinstance(expr, Sum):
        return any(has_grad(t) for _, t in expr.terms)
    return False


def numbers(expr: Expr) -> list[float]:
    """Every number written in the expression."""
    if isinstance(expr, Num):
        return [expr.value]
    if isinstance(expr, Neg | Call):
        return numbers(expr.arg)
    if isinstance(expr, Bin):
        return numbers(expr.left) + numbers(expr.right)
    return []


def replace_numbers(expr: Expr, table: dict[float, str]) -> Expr:
    """``expr`` with each number found in ``table`` replaced by that name."""
    if isinstance(expr, Num):
        return Var(table[expr.value]) if expr.value in table else expr
    if isinstance(expr, Neg):
        return Neg(replace_numbers(expr.arg, table))
    if isinstance(expr, Call):
        return Call(expr.fn, replace_numbers(expr.arg, table))
    if isinstance(expr, Bin):
        return Bin(expr.op, replace_numbers(expr.left, table), replace_numbers(expr.right, table))
    return expr
