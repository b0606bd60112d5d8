"""The course's own mistakes as practice items: find what is wrong, then write it right.

Each item shows the course's formula and the number it printed; the learner's corrected
formula is judged by the checker on the classic network (and its moved versions), and the
checker's diagnosis of the course's own formula explains the mistake. Pure: no torch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from bptrace.i18n import N_, _
from bptrace.model.chain import Variant, show
from bptrace.model.check import Judge, Verdict, in_names
from bptrace.model.errors import BptraceError
from bptrace.model.expr import Bin, Expr, Num, Prod, Sum, Var
from bptrace.model.formulas import loss_count
from bptrace.model.trace import Array, Trace


@dataclass(frozen=True)
class Item:
    """One practice item: the course's wrong formula, its number, and what to find (its
    ``title`` and ``question`` are :func:`bptrace.i18n.N_` texts, translated when shown)."""

    key: str
    title: str
    target: str  # "loss": the loss's value; otherwise ∂loss/∂target
    formula: str
    printed: float
    question: str

    def lines(self) -> list[str]:
        what = _("the loss") if self.target == "loss" else f"∂loss/∂{self.target}"
        return [
            f"{self.key}. {_(self.title)}",
            _("  the course writes {what} = {formula}").format(what=what, formula=self.formula),
            _("  and prints {number}").format(number=repr(self.printed)),
            f"  {_(self.question)}",
            _("  answer with: bptrace check --practice {key} 'YOUR FORMULA'").format(key=self.key),
        ]


ITEMS: dict[str, Item] = {
    "E1": Item(
        "E1",
        N_("the loss of the forward pass (classic network)"),
        "loss",
        "0.5*(o1 - 0.01)**2 + (o2 - 0.99)**2",
        0.32193113434385046,
        N_("The loss is MSE, the mean over the two outputs. What is wrong? Write the loss."),
    ),
    "E2": Item(
        "E2",
        N_("the hand-derived gradient of w1 (classic network)"),
        "w1",
        "((o1 - t1)*o1*(1 - o1)*w5 + (o2 - t2)*o2*(1 - o2)*w7)"
        " * sigmoid(h1)*(1 - sigmoid(h1)) * i1",
        0.000416631,
        N_("Autograd says otherwise. What is wrong? Write ∂loss/∂w1."),
    ),
}


def item(key: str) -> Item:
    found = ITEMS.get(key.upper())
    if found is None:
        raise BptraceError(
            _("unknown practice item {key!r} (there are {items})").format(
                key=key, items=", ".join(ITEMS)
            )
        )
    return found


class LossJudge(Judge):
    """Judges a formula for the loss's value (MSE), with the course's E1 as a known mistake."""

    def __init__(self, versions: list[Trace]):
        super().__init__("loss", versions)
        tr = self.tr
        net = tr.network
        if net.loss.name != "mse" or net.batch != 1:
            raise BptraceError(_("the loss item needs an MSE network with one sample"))
        self.n = loss_count(net.loss, net.batch, net.sizes[-1])
        self.terms = tuple(
            (f"({o} − {t})²", Bin("**", Bin("-", Var(o), Var(t)), Num(2.0)))
            for o, t in ((tr.namer.post(net.depth, j), f"t{j + 1}") for j in range(net.sizes[-1]))
        )
        self.correct_expr = Prod((("1/N", Num(1.0 / self.n)), ("Σ", Sum(self.terms))))
        self.target = "loss"
        self.truth = [np.asarray([v.loss], dtype=np.float64) for v in versions]

    def values(self, expr: Expr) -> list[Array]:
        from bptrace.model.expr_eval import evaluate

        return [np.broadcast_to(evaluate(expr, e), (1,)).astype(np.float64) for e in self.envs]

    def chain_lines(self) -> list[str]:
        step = self.tr.steps[self.tr.steps.index_of("loss", "forward") or 0]
        return [step.formula, in_names("loss", show(self.correct_expr))]

    def variant_list(self) -> Iterator[Variant]:
        half = Num(1.0 / self.n)
        for i, (label, _term) in enumerate(self.terms):
            parts = tuple(
                (lbl, term if j == i else Bin("*", half, term))
                for j, (lbl, term) in enumerate(self.terms)
            )
            yield Variant(
                Sum(parts),
                _(
                    "the 1/N = {value} of the mean reaches only some of the terms: {term} is "
                    "added without it. The mean divides the whole sum: loss = {formula}"
                ).format(value=f"{1 / self.n:g}", term=label, formula=show(self.correct_expr)),
            )
            rest = self.terms[:i] + self.terms[i + 1 :]
            if rest:
                yield Variant(
                    Prod((("1/N", half), ("Σ", Sum(rest)))),
                    _(
                        "a term is missing: the mean is over every output; {term} is left out"
                    ).format(term=label),
                )
        yield Variant(Sum(self.terms), _("the 1/N = 1/{n} of the mean is missing").format(n=self.n))


def judge_item(key: str, text: str, versions: list[Trace]) -> Verdict:
    """Judge the learner's formula for a practice item; when it is right, also explain the
    course's mistake (the checker's diagnosis of the course's own formula)."""
    it = item(key)
    judge = LossJudge(versions) if it.target == "loss" else Judge(it.target, versions)
    verdict = judge.judge(text)
    if it.target == "loss":
        verdict.source = N_("torch's loss")
    if verdict.right:
        course = judge.judge(it.formula)
        verdict.diagnosis = [_("the course's mistake:")] + [f"  {d}" for d in course.diagnosis]
    return verdict


def list_lines() -> list[str]:
    lines = [_("practice items: the course's own mistakes (find them, then write it right)")]
    for it in ITEMS.values():
        lines.append(
            _("  {key}  {title}: the course prints {number}").format(
                key=it.key, title=_(it.title), number=repr(it.printed)
            )
        )
    lines.append(_("show one with: bptrace check --practice {key}").format(key="E1"))
    return lines
