"""The correct chain for ∂loss/∂NAME as an expression tree over the network's own names.

Products of labelled factors (``∂o1/∂l3``) and sums of labelled paths (``via l3``), written
out down to the values (``(o1 − t1)·o1·(1 − o1)·w5 + ...``) so a learner's formula can be
compared with it factor by factor and path by path; and the teacher's usual wrong versions of
it (a path left out, a factor left out or doubled, a sign, sigmoid applied twice).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.expr import Bin, Call, Expr, Grad, Neg, Num, Prod, Sum, Var
from bptrace.model.formulas import loss_count
from bptrace.model.trace import Trace

MAX_PATHS = 64  # past this many paths to the output, ∂loss/∂h is a named leaf
MAX_VARIANTS = 400


def _sub(a: Expr, b: Expr) -> Expr:
    return Bin("-", a, b)


def _mul(a: Expr, b: Expr) -> Expr:
    return Bin("*", a, b)


class ChainBuilder:
    """Builds ∂loss/∂name for the names of one traced MLP."""

    def __init__(self, tr: Trace):
        self.tr, self.namer, self.net = tr, tr.namer, tr.network

    def paths_from(self, k: int) -> int:
        total = 1
        for size in self.net.sizes[k + 1 :]:
            total *= size
        return total

    def post(self, k: int, r: int) -> Expr:
        """∂loss/∂(activation r of layer k)."""
        namer, net = self.namer, self.net
        node = namer.post(k, r)
        if k == net.depth:
            return self.loss_grad(r)
        if self.paths_from(k) > MAX_PATHS:
            return Grad(node)
        terms = []
        for q in range(net.sizes[k + 1]):
            pre = namer.pre(k + 1, q)
            factors = self.pre_factors(k + 1, q) + (
                (f"∂{pre}/∂{node}", Var(namer.weight(k + 1, q, r))),
            )
            terms.append((_("via {name}").format(name=pre), Prod(factors)))
        return Sum(tuple(terms))

    def loss_grad(self, r: int) -> Expr:
        net, namer = self.net, self.namer
        o = namer.post(net.depth, r)
        n = loss_count(net.loss, net.batch, net.sizes[-1])
        name = net.loss.name
        if name == "mse" and net.loss.target_kind == "values":
            diff = _sub(Var(o), Var(namer.target(r)))
            return diff if n == 2 else _mul(Num(2.0 / n), diff)
        if name == "bce":
            diff = _sub(Var(o), Var(namer.target(r)))
            frac = Bin("/", diff, _mul(Var(o), _sub(Num(1.0), Var(o))))
            return frac if n == 1 else Bin("/", frac, Num(float(n)))
        return Grad(o)

    def act_derivative(self, k: int, r: int) -> Expr:
        act = self.net.activations[k - 1]
        out, pre = Var(self.namer.post(k, r)), Var(self.namer.pre(k, r))
        if act.name == "sigmoid":
            return _mul(out, _sub(Num(1.0), out))
        if act.name == "tanh":
            return _sub(Num(1.0), Bin("**", out, Num(2.0)))
        if act.name == "relu":
            return Bin("/", Call("relu", pre), pre)
        if act.name == "leaky_relu":
            s = Num(float(act.negative_slope or 0.0))
            pos = Call("relu", pre)
            return Bin("/", Bin("+", pos, _mul(s, _sub(pre, pos))), pre)
        return Num(1.0)

    def pre_factors(self, k: int, r: int) -> tuple[tuple[str, Expr], ...]:
        """The factors of ∂loss/∂(pre-activation r of layer k)."""
        pre, out = self.namer.pre(k, r), self.namer.post(k, r)
        if self.net.activations[k - 1].name == "softmax":
            return ((f"∂loss/∂{pre}", Grad(pre)),)
        up = self.post(k, r)
        return ((f"∂loss/∂{out}", up), (f"∂{out}/∂{pre}", self.act_derivative(k, r)))

    def build(self, name: str) -> Expr:
        ref = self.namer.resolve(name)
        if ref is None:
            raise BptraceError(
                _("unknown name {name!r} (this network has {names})").format(
                    name=name, names=self.tr.describe_names()
                )
            )
        if ref.letter == "t":
            raise BptraceError(
                _("{name} is a target: the loss has no gradient to check for it").format(name=name)
            )
        if ref.letter == "loss":
            return Num(1.0)
        k, r = ref.layer, ref.row
        namer = self.namer
        if ref.letter in "ho":
            return self.post(k, r)
        if ref.letter == "l":
            return Prod(self.pre_factors(k, r))
        pre = namer.pre(k, r)
        if ref.letter == "w":
            x = Var(namer.layer_input(k, ref.col))
            return Prod(self.pre_factors(k, r) + ((f"∂{pre}/∂{name}", x),))
        if ref.letter == "b":
            return Prod(self.pre_factors(k, r) + ((f"∂{pre}/∂{name}", Num(1.0)),))
        terms = []
        for q in range(self.net.sizes[1]):
            p = namer.pre(1, q)
            factors = self.pre_factors(1, q) + ((f"∂{p}/∂{name}", Var(namer.weight(1, q, r))),)
            terms.append((_("via {name}").format(name=p), Prod(factors)))
        return Sum(tuple(terms))


def chain(tr: Trace, name: str) -> Expr:
    """∂loss/∂name as a tree of labelled factors and paths."""
    return ChainBuilder(tr).build(name)


# -- text -------------------------------------------------------------------------------


def show(expr: Expr) -> str:
    """The expression in the step pane's notation: ``(o1 − t1)·o1·(1 − o1)·w5``."""
    return _show(expr)[0]


def _num(v: float) -> str:
    return f"{v:.12g}"


def _show(expr: Expr) -> tuple[str, int]:
    """Text and precedence: 1 sum, 2 product, 3 unary, 4 power, 5 atom."""
    if isinstance(expr, Num):
        return (_num(expr.value), 5) if expr.value >= 0 else (f"−{_num(-expr.value)}", 3)
    if isinstance(expr, Var):
        return expr.name, 5
    if isinstance(expr, Grad):
        return f"∂loss/∂{expr.name}", 5
    if isinstance(expr, Call):
        return f"{'σ' if expr.fn == 'sigmoid' else expr.fn}({show(expr.arg)})", 5
    if isinstance(expr, Neg):
        return f"−{_wrap(expr.arg, 3)}", 3
    if isinstance(expr, Prod):
        parts = [_wrap(f, 2) for _, f in expr.factors if f != Num(1.0)] or ["1"]
        return "·".join(parts), 2 if len(parts) > 1 else _show(expr.factors[0][1])[1]
    if isinstance(expr, Sum):
        return " + ".join(_wrap(t, 1) for _, t in expr.terms), 1
    if expr.op in "+-":
        op = " + " if expr.op == "+" else " − "
        return _wrap(expr.left, 1) + op + _wrap(expr.right, 2), 1
    if expr.op == "*":
        return _wrap(expr.left, 2) + "·" + _wrap(expr.right, 2), 2
    if expr.op == "/":
        return _wrap(expr.left, 2) + "/" + _wrap(expr.right, 3), 2
    if expr.right == Num(2.0):
        return _wrap(expr.left, 5) + "²", 4
    return _wrap(expr.left, 5) + "^" + _wrap(expr.right, 5), 4


def _wrap(expr: Expr, level: int) -> str:
    text, prec = _show(expr)
    return text if prec >= level else f"({text})"


# -- the usual wrong versions -----------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """A wrong version of the chain and what a teacher would say about it."""

    expr: Expr
    why: str


def _sigmoid_twice(expr: Expr) -> Expr | None:
    """``h(1 − h)`` → ``σ(h)(1 − σ(h))``: sigmoid applied to a value that already is one."""
    match expr:
        case Bin("*", Var(a), Bin("-", Num(1.0), Var(b))) if a == b:
            s = Call("sigmoid", Var(a))
            return _mul(s, _sub(Num(1.0), s))
    return None


def variants(expr: Expr, target: str) -> Iterator[Variant]:
    """Single mistakes in ``expr``: each with the correct tree edited at one place."""
    return islice(_variants(expr, target), MAX_VARIANTS)


def _variants(expr: Expr, target: str) -> Iterator[Variant]:
    if isinstance(expr, Sum):
        labels = ", ".join(label for label, _ in expr.terms)
        for i, (label, term) in enumerate(expr.terms):
            rest = expr.terms[:i] + expr.terms[i + 1 :]
            if rest:
                yield Variant(
                    Sum(rest),
                    _(
                        "a path is missing: {target} sums over every path ({labels}); "
                        "your formula leaves out the path {label}"
                    ).format(target=target, labels=labels, label=label),
                )
            yield Variant(
                Sum(rest + ((label, Neg(term)),)),
                _("a sign error in the path {label}").format(label=label),
            )
            for v in _variants(term, _("the path {label}").format(label=label)):
                yield Variant(Sum(expr.terms[:i] + ((label, v.expr),) + expr.terms[i + 1 :]), v.why)
        return
    if isinstance(expr, Prod):
        fs = expr.factors
        for i, (label, f) in enumerate(fs):
            if f == Num(1.0):
                continue
            others = fs[:i] + fs[i + 1 :]
            if not isinstance(f, Sum):
                said = {"label": label, "formula": show(f)}
                yield Variant(
                    Prod(others), _("the factor {label} = {formula} is missing").format(**said)
                )
                yield Variant(
                    Prod(fs + ((label, f),)),
                    _("the factor {label} = {formula} is there twice").format(**said),
                )
            twice = _sigmoid_twice(f)
            if twice is not None:
                h = show(f).split("·")[0]
                yield Variant(
                    Prod(fs[:i] + ((label, twice),) + fs[i + 1 :]),
                    _(
                        "the derivative of the wrong thing: {label} is {formula}, because {h} is "
                        "already σ of its pre-activation; σ({h})·(1 − σ({h})) applies sigmoid "
                        "twice (the course's mistake)"
                    ).format(label=label, formula=show(f), h=h),
                )
            if isinstance(f, Bin) and f.op == "-" or (isinstance(f, Bin) and f.op == "*"):
                flipped = _flip(f)
                if flipped is not None:
                    yield Variant(
                        Prod(fs[:i] + ((label, flipped),) + fs[i + 1 :]),
                        _("a sign error in {label}: it is {formula}, not {flipped}").format(
                            label=label, formula=show(f), flipped=show(flipped)
                        ),
                    )
            for v in _variants(f, target if len(fs) == 1 else label):
                yield Variant(Prod(fs[:i] + ((label, v.expr),) + fs[i + 1 :]), v.why)


def _flip(expr: Expr) -> Expr | None:
    """``o1 − t1`` → ``t1 − o1`` (also inside ``2/N·(o1 − t1)``)."""
    if isinstance(expr, Bin) and expr.op == "-" and isinstance(expr.left, Var):
        return Bin("-", expr.right, expr.left)
    if isinstance(expr, Bin) and expr.op == "*" and isinstance(expr.left, Num):
        inner = _flip(expr.right)
        return None if inner is None else Bin("*", expr.left, inner)
    return None
