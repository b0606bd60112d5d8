"""Judge a learner's formula for ∂loss/∂NAME as a teacher would.

The formula is evaluated on the traced values and compared with autograd (relative 1e-6; in
float16, 1e-2 of the sizes summed to make the gradient, as :mod:`bptrace.model.tolerance` says;
the same inf or nan on both sides agrees),
and on other versions of the same network (moved at random and retraced by the tracer), so a
formula right only here, or a number pasted in, is caught. When it is wrong, it is compared
with the chain's own factors and paths to say which part differs. Pure: no torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from bptrace.i18n import N_, _
from bptrace.model.chain import Variant, chain, show, variants
from bptrace.model.expr import Expr, parse
from bptrace.model.expr_eval import (
    Env,
    evaluate,
    has_grad,
    numbers,
    replace_numbers,
    variables,
)
from bptrace.model.formulas import loss_count
from bptrace.model.tolerance import Magnitudes, agree, floor_of, rtol_of
from bptrace.model.trace import Array, Trace

AUTOGRAD = N_("autograd")
RTOL = 1e-6
ATOL = 1e-18  # a true 0 (a dead ReLU) computed through a cancellation


@dataclass
class Verdict:
    """The checker's answer: right or wrong, the two values, why, and the correct chain."""

    name: str
    formula: str
    right: bool
    learner: float | list[float]
    correct: float | list[float]
    diagnosis: list[str] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)
    versions: int = 1
    source: str = AUTOGRAD
    """What gives the right value (a :func:`bptrace.i18n.N_` text, translated when shown)."""

    @property
    def exit_code(self) -> int:
        return 0 if self.right else 1

    def lines(self) -> list[str]:
        """The verdict as plain text lines (the CLI prints them; the app shows them)."""
        target = self.name if self.name == "loss" else f"∂loss/∂{self.name}"
        mark = _("✓ right: {target}") if self.right else _("✗ wrong: {target}")
        source = _(self.source)
        out = [mark.format(target=target)]
        out.append(_("  your formula gives  {value}").format(value=full(self.learner)))
        out.append(
            _("  the right value is  {value}  ({source})").format(
                value=full(self.correct), source=source
            )
        )
        if self.right:
            out.append(
                _(
                    "  and it agrees with {source} on {count} other versions of the network "
                    "(weights, biases, inputs and targets moved at random)"
                ).format(source=source, count=self.versions - 1)
            )
            return out + [f"  {line}" for line in self.diagnosis]
        out += [f"  {line}" for line in self.diagnosis]
        out.append(_("  the correct chain:"))
        out += [f"    {line}" for line in self.chain]
        return out


def full(value: float | list[float]) -> str:
    """A value to 12 significant digits (a list joined with commas)."""
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.12g}" for v in value) + "]"
    return f"{value:.12g}"


def in_names(target: str, formula: str) -> str:
    """``in the network's names: ∂loss/∂w5 = (o1 − t1)·…``, the last line of a wrong verdict."""
    return _("in the network's names: {target} = {formula}").format(target=target, formula=formula)


def env_of(tr: Trace) -> Env:
    def value(name: str) -> Array:
        return np.asarray(tr[name].value, dtype=np.float64)

    def grad(name: str) -> Array:
        g = tr[name].grad
        return np.asarray(0.0 if g is None else g, dtype=np.float64)

    return Env(value, grad)


def _reduce(tr: Trace, name: str, values: Array) -> Array:
    """Per sample for per-sample quantities; summed over the batch for parameters."""
    batch = tr.network.batch
    arr = np.broadcast_to(np.asarray(values, dtype=np.float64), (batch,))
    if name[0] in "wb":
        return np.asarray(arr.sum(), dtype=np.float64)
    return np.asarray(arr, dtype=np.float64)


def _close(a: Array, b: Array, size: Array | None = None) -> bool:
    """Within RTOL of the larger, or the same non-finite value on both sides (an overflow to
    inf in the formula and in autograd alike). ``size``: a float16 trace's sizes (below)."""
    if size is None:
        tol = RTOL * np.maximum(np.abs(a), np.abs(b)) + ATOL
    else:
        tol = rtol_of("float16") * np.maximum(np.maximum(np.abs(a), np.abs(b)), size)
    return bool(np.all(agree(a, b, tol)))


def _sizes(name: str, v: Trace) -> Array | None:
    """What a float16 trace's tolerance is computed from: autograd rounds each of its results
    in float16 (:mod:`bptrace.model.tolerance`), so it is judged by the sizes summed to make the
    gradient, floored at float16's smallest normal number. None in float32 and float64."""
    dtype = v.network.dtype
    if dtype != "float16":
        return None
    floor = np.asarray(floor_of(dtype), dtype=np.float64)
    ref = v.namer.resolve(name)
    if ref is None or ref.letter in ("loss", "t"):  # the loss's own value: no backward pass
        return floor
    return np.maximum(Magnitudes(v).scale(name), floor)


def _scalar(a: Array) -> float | list[float]:
    flat = [float(x) for x in np.ravel(a)]
    return flat[0] if len(flat) == 1 else flat


class Judge:
    """Everything needed to judge formulas for one name on a set of traced versions."""

    def __init__(self, name: str, versions: list[Trace]):
        self.name, self.versions = name, versions
        self.tr = versions[0]
        self.correct_expr = chain(self.tr, name)
        self.envs = [env_of(v) for v in versions]
        self.target = f"∂loss/∂{name}"
        self.truth = [self.autograd(v) for v in versions]
        self.sizes = [_sizes(name, v) for v in versions]

    def autograd(self, v: Trace) -> Array:
        grad = np.asarray(v[self.name].grad, dtype=np.float64)
        if self.name[0] in "wb":
            return grad
        return np.asarray(np.broadcast_to(grad, (v.network.batch,)), dtype=np.float64)

    def values(self, expr: Expr) -> list[Array]:
        return [
            _reduce(v, self.name, evaluate(expr, e))
            for v, e in zip(self.versions, self.envs, strict=True)
        ]

    def close(self, got: list[Array], against: list[Array] | None = None, first: int = 0) -> bool:
        """Whether ``got`` agrees with ``against`` (autograd) on every version, or on the first
        ``first`` of them."""
        pairs = zip(got, against or self.truth, self.sizes, strict=True)
        return all(_close(a, b, s) for a, b, s in list(pairs)[: first or None])

    def matches(self, expr: Expr, against: list[Array] | None = None) -> bool:
        return self.close(self.values(expr), against)

    def judge(self, text: str) -> Verdict:
        expr = parse(text, lambda n: n in self.tr)
        got = self.values(expr)
        right = self.close(got)
        verdict = Verdict(
            self.name,
            text,
            right,
            _scalar(got[0]),
            _scalar(self.truth[0]),
            versions=len(self.versions),
        )
        if not right:
            verdict.diagnosis = self.diagnose(expr, got)
            verdict.chain = self.chain_lines()
        return verdict

    def chain_lines(self) -> list[str]:
        steps = self.tr.steps
        index = steps.index_of(self.name, "backward")
        lines = []
        if index is not None:
            step = steps[index]
            lines.append(step.formula)
        written = show(self.correct_expr)
        if written != self.target:  # not ``∂loss/∂o1 = ∂loss/∂o1``
            lines.append(in_names(self.target, written))
        return lines

    # -- diagnosis ------------------------------------------------------------------------
    def diagnose(self, expr: Expr, got: list[Array]) -> list[str]:
        here = self.close(got, first=1)
        names = variables(expr)
        if here and not names:
            return [
                _(
                    "a number, not a formula: it is the right value for these weights and "
                    "inputs, but a formula must hold for any of them; on another version of the "
                    "network it gives {value} where {target} is {right}"
                ).format(
                    value=full(_scalar(got[1])),
                    target=self.target,
                    right=full(_scalar(self.truth[1])),
                )
            ]
        lines: list[str] = []
        table = self.given_numbers(expr)
        if table:
            renamed = replace_numbers(expr, table)
            said = ", ".join(
                _("{number} is {name}").format(number=f"{v:g}", name=n)
                for v, n in sorted(table.items(), key=lambda x: x[1])
            )
            if self.matches(renamed):
                return [
                    _(
                        "right here, but written with numbers for given values ({said}): write "
                        "the names, so the formula holds for any weights, inputs and targets"
                    ).format(said=said)
                ]
            lines.append(_("(reading {said})").format(said=said))
            expr, got = renamed, self.values(renamed)
            here = self.close(got, first=1)
        if here:
            lines.append(
                _(
                    "right at this point only, by coincidence: on other versions of the network "
                    "it gives {value} where {target} is {right}"
                ).format(
                    value=full(_scalar(got[1])),
                    target=self.target,
                    right=full(_scalar(self.truth[1])),
                )
            )
        found = self.find_variant(got)
        if found is not None:
            return lines + [found.why]
        ratio = self.constant_ratio(got)
        if ratio is not None:
            return lines + [self.ratio_words(ratio)]
        if not names:
            return lines + [_("a number, not a formula for {target}").format(target=self.target)]
        return lines + self.name_words(names)

    def given_numbers(self, expr: Expr) -> dict[float, str]:
        """Numbers written in the formula that are the value of a given input, target or
        parameter (not small whole numbers, and not ½ or 1/N)."""
        tr = self.tr
        net = tr.network
        n = loss_count(net.loss, net.batch, net.sizes[-1])
        skip = {0.5, 1.0 / n, 2.0 / n}
        table: dict[float, str] = {}
        given = [x for x in tr.names() if x[0] in "itwb"]
        for value in numbers(expr):
            if value == round(value) or any(abs(value - s) < 1e-12 for s in skip):
                continue
            for name in given:
                v = tr[name].value
                if isinstance(v, float) and abs(v - value) <= 1e-9 * max(abs(v), 1e-12):
                    table[value] = name
                    break
        return table

    def find_variant(self, got: list[Array]) -> Variant | None:
        for v in self.variant_list():
            if self.matches(v.expr, got) and not self.matches(v.expr):
                return v
        return None

    def variant_list(self) -> Iterator[Variant]:
        return variants(self.correct_expr, self.target)

    def constant_ratio(self, got: list[Array]) -> float | None:
        ratios = []
        for a, b in zip(got, self.truth, strict=True):
            if np.any(np.abs(b) < 1e-300):
                continue
            ratios.append(np.ravel(a / b))
        if len(ratios) < 2:
            return None
        allr = np.concatenate(ratios)
        c = float(allr[0])
        if not np.all(np.isfinite(allr)) or not np.allclose(allr, c, rtol=RTOL, atol=0):
            return None
        return c

    def ratio_words(self, c: float) -> str:
        net = self.tr.network
        n = loss_count(net.loss, net.batch, net.sizes[-1])
        outputs, batch = net.sizes[-1], net.batch
        if net.loss.name == "cross_entropy":  # one term per sample, not per output
            what = _("{n} samples").format(n=batch)
        elif batch > 1:
            what = _("{outputs} outputs × {batch} samples").format(outputs=outputs, batch=batch)
        else:
            what = _("{outputs} outputs").format(outputs=outputs)
        mean = _("the loss is a mean over N = {n} ({what})").format(n=n, what=what)
        if abs(c + 1) < 1e-6:
            return _("a sign error: your formula is exactly minus the right one (o − t, not t − o)")
        if n > 1 and abs(c - n) < 1e-6 * n:
            return _(
                "the 1/N of the mean is missing: {mean}, so every ∂loss/∂o carries 1/{n}"
            ).format(mean=mean, n=n)
        if n > 1 and abs(c - 1 / n) < 1e-6:
            return _(
                "divided by N = {n} once too often: {mean}, and the 1/{n} appears once"
            ).format(mean=mean, n=n)
        halved = abs(c - 2) < 1e-6 or abs(c - 0.5) < 1e-6 or abs(c - n / 2) < 1e-6 * n
        if halved and net.loss.name == "mse" and n == 1:
            return _(
                "off by a factor {factor}: the derivative of (o − t)² is 2(o − t), and the loss "
                "is a sum (reduction sum, no 1/N), so ∂loss/∂o = 2(o − t)"
            ).format(factor=f"{c:g}")
        if halved and net.loss.name == "mse":
            return _(
                "off by a factor {factor}: the derivative of (o − t)² is 2(o − t), and {mean}, "
                "so ∂loss/∂o = 2(o − t)/{n}"
            ).format(factor=f"{c:g}", mean=mean, n=n)
        return _(
            "off by a constant factor {factor}: the shape of the chain is right, a constant is not"
        ).format(factor=f"{c:.6g}")

    def name_words(self, names: set[str]) -> list[str]:
        need = variables(self.correct_expr)
        missing, extra = sorted(need - names), sorted(names - need)
        lines = [_("it does not match the chain rule's product of local derivatives")]
        if missing:
            lines.append(
                _("the chain uses {names}, which your formula does not").format(
                    names=", ".join(missing)
                )
            )
        if extra and not has_grad(self.correct_expr):  # a ∂loss/∂x leaf may read any name
            lines.append(
                _("your formula uses {names}, which {target} does not depend on").format(
                    names=", ".join(extra), target=self.target
                )
            )
        return lines


def judge(name: str, text: str, versions: list[Trace]) -> Verdict:
    """Judge ``text`` as ∂loss/∂``name`` on ``versions`` (the trace first, then moved copies)."""
    return Judge(name, versions).judge(text)
