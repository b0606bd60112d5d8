"""``bptrace check``: the classic network's correct chains are accepted, the usual mistakes
rejected with the right diagnosis, and the course's E1/E2 work as practice items."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from bptrace_test_helpers import Result

from bptrace.model.check import Judge
from bptrace.model.trace import Trace

D3 = "(o1 - t1)*o1*(1 - o1)"  # ∂loss/∂l3 of the classic network (MSE over 2 outputs: 2/N = 1)
D4 = "(o2 - t2)*o2*(1 - o2)"
DH1 = f"({D3}*w5 + {D4}*w7)"
DH2 = f"({D3}*w6 + {D4}*w8)"
D1 = f"{DH1}*h1*(1 - h1)"
D2 = f"{DH2}*h2*(1 - h2)"

RIGHT = {
    "w1": f"{D1}*i1",
    "w2": f"{D1}*i2",
    "w3": f"{D2}*i1",
    "w4": f"{D2}*i2",
    "w5": f"{D3}*h1",
    "w6": f"{D3}*h2",
    "w7": f"{D4}*h1",
    "w8": f"{D4}*h2",
    "b1": D1,
    "b2": D2,
    "b3": D3,
    "b4": D4,
    "h1": DH1,
    "h2": DH2,
    "i1": f"{D1}*w1 + {D2}*w3",
}
AUTOGRAD = {  # shared/seed/NOTES.md, float64
    "w1": 0.0004385677344743467,
    "w5": 0.08216704056423077,
    "h1": 0.03635030639314467,
    "b4": -0.03809823651655623,
}


@pytest.fixture(scope="module")
def versions(classic_trace: Trace) -> list[Trace]:
    from bptrace.tracer.perturb import versions

    return versions(classic_trace)


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_correct_chains_are_accepted(name: str, versions: list[Trace]) -> None:
    verdict = Judge(name, versions).judge(RIGHT[name])
    assert verdict.right, verdict.lines()
    assert verdict.exit_code == 0
    if name in AUTOGRAD:
        assert verdict.correct == pytest.approx(AUTOGRAD[name], rel=1e-12)


def test_the_step_panes_notation_is_accepted(versions: list[Trace]) -> None:
    verdict = Judge("w5", versions).judge("(o1 − t1)·o1(1 − o1)·h1")
    assert verdict.right
    verdict = Judge("l1", versions).judge(f"{DH1} × σ(l1)·(1 − σ(l1))")
    assert verdict.right  # σ(l1)(1 − σ(l1)) is h1(1 − h1): the right derivative, other words


WRONG = [
    # the course's E2: sigmoid applied twice in the hidden layer's derivative
    ("w1", f"{DH1}*sigmoid(h1)*(1 - sigmoid(h1))*i1", "sigmoid twice", 0.000416630569415),
    ("h1", f"{D3}*w5", "leaves out the path via l4", None),
    ("w1", f"{D3}*w5*h1*(1 - h1)*i1", "leaves out the path via l4", None),
    ("w5", "(t1 - o1)*o1*(1 - o1)*h1", "sign error in ∂loss/∂o1", None),
    ("w5", "-(o1 - t1)*o1*(1 - o1)*h1", "sign error", None),
    ("w5", "0.08216704056423077", "a number, not a formula", 0.08216704056423077),
    ("w5", "2*(o1 - t1)*o1*(1 - o1)*h1", "the 1/N of the mean is missing", None),
    ("w5", "(o1 - t1)*o1*(1 - o1)", "the factor ∂l3/∂w5 = h1 is missing", None),
    ("w5", "(o1 - t1)*o1*(1 - o1)*h1*h1", "is there twice", None),
    ("w1", f"{DH1}*i1", "the factor ∂h1/∂l1 = h1·(1 − h1) is missing", None),
    ("w5", "(o1 - 0.01)*o1*(1 - o1)*h1", "0.01 is t1", None),
]


@pytest.mark.parametrize(("name", "text", "said", "value"), WRONG)
def test_mistakes_are_rejected_with_the_right_diagnosis(
    name: str, text: str, said: str, value: float | None, versions: list[Trace]
) -> None:
    verdict = Judge(name, versions).judge(text)
    assert not verdict.right
    assert verdict.exit_code == 1
    text_out = "\n".join(verdict.lines())
    assert said in text_out, text_out
    assert "the correct chain:" in text_out
    if value is not None:
        assert verdict.learner == pytest.approx(value, rel=1e-12)


def test_a_wrong_mean_in_a_batch(write_spec: Callable[..., object]) -> None:
    import bptrace
    from bptrace.model.spec import CLASSIC_TEXT
    from bptrace.tracer.perturb import versions

    text = CLASSIC_TEXT.replace("inputs = [0.05, 0.10]", "inputs = [[0.05, 0.10], [0.3, -0.2]]")
    text = text.replace("targets = [0.01, 0.99]", "targets = [[0.01, 0.99], [0.5, 0.2]]")
    path = write_spec(text)
    model, inputs, targets, loss_fn, _ = bptrace.load_spec(path)  # type: ignore[arg-type]
    vs = versions(bptrace.trace(model, inputs, targets, loss_fn))
    judge = Judge("w5", vs)  # N = 4: 2 outputs × 2 samples; per sample, summed over the batch
    assert judge.judge("(o1 - t1)/2*o1*(1 - o1)*h1").right
    wrong = judge.judge("(o1 - t1)*o1*(1 - o1)*h1")
    assert not wrong.right
    assert "N = 4 (2 outputs × 2 samples)" in "\n".join(wrong.lines())


def test_cli_exit_codes(cli: Callable[..., Result]) -> None:
    right = cli("check", "w5", "(o1 - t1)*o1*(1 - o1)*h1")
    assert right.code == 0, right.err
    assert right.out.startswith("✓ right: ∂loss/∂w5")
    assert "0.0821670405642" in right.out
    wrong = cli("check", "w5", "(o1 - t1)*o1*(1 - o1)")
    assert wrong.code == 1
    assert "✗ wrong" in wrong.out and "is missing" in wrong.out
    bad = cli("check", "t1", "o1")
    assert bad.code == 2 and bad.err.count("\n") == 1 and "t1 is a target" in bad.err
    unknown = cli("check", "w99", "o1")
    assert unknown.code == 2 and "unknown name 'w99'" in unknown.err


def test_practice_items(cli: Callable[..., Result]) -> None:
    listed = cli("check", "--practice")
    assert listed.code == 0 and "E1" in listed.out and "E2" in listed.out
    shown = cli("check", "--practice", "E1")
    assert "0.32193113434385046" in shown.out
    course = cli("check", "--practice", "E1", "0.5*(o1 - 0.01)**2 + (o2 - 0.99)**2")
    assert course.code == 1
    assert "0.321931134344" in course.out  # the course's printed number, recomputed
    assert "0.29837110876" in course.out  # the true loss
    assert "reaches only some of the terms" in course.out
    fixed = cli("check", "--practice", "E1", "((o1 - t1)**2 + (o2 - t2)**2)/2")
    assert fixed.code == 0
    assert "the course's mistake:" in fixed.out and "reaches only some" in fixed.out
    e2 = cli("check", "--practice", "E2", f"{DH1}*sigmoid(h1)*(1 - sigmoid(h1))*i1")
    assert e2.code == 1 and "applies sigmoid twice" in e2.out
    e2_fixed = cli("check", "--practice", "E2", RIGHT["w1"])
    assert e2_fixed.code == 0 and "applies sigmoid twice" in e2_fixed.out
    assert cli("check", "--practice", "E9").code == 2


def test_a_tiny_gradient_is_not_matched_by_zero(cli: Callable[..., Result]) -> None:
    # deep-sigmoid's ∂loss/∂w1 is about 3e-12: a formula giving 0 must not pass
    result = cli("check", "--example", "deep-sigmoid", "w1", "0*i1")
    assert result.code == 1, result.out


def test_quiz_and_matrix_refuse_bad_input(
    cli: Callable[..., Result], write_spec: Callable[..., object]
) -> None:
    bad = write_spec("layers = [2, 2]\n")
    result = cli("quiz", "--spec", str(bad))
    assert result.code == 2 and result.err.startswith("bptrace: error: ")
    result = cli("explain", "head", "--matrix", "--example", "small-cnn")
    assert result.code == 2 and "--matrix is for MLPs" in result.err
