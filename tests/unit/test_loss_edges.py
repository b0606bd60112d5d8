"""Loss settings at their edges, written as torch computes them: smooth_l1 with beta 0 is L1
(it was shown as ``(o1 − t1)/0 if |o1 − t1| < 0 else sign(o1 − t1)``)."""

from __future__ import annotations

import bptrace
from bptrace.model.spec import parse_spec_text
from bptrace.tracer.api import trace_spec

SPEC = """
layers = [2, 2, 2]
inputs = [[0.05, 0.1], [0.3, -0.2]]
targets = [[0.01, 0.99], [0.5, 0.5]]
loss = "smooth_l1"
beta = {beta}
seed = 1
"""


def test_smooth_l1_with_beta_zero_is_written_as_l1() -> None:
    tr = trace_spec(parse_spec_text(SPEC.format(beta=0.0), "beta0"))
    steps = tr.steps
    grad = steps[steps.index_of("o1", "backward")]
    assert grad.formula == "∂loss/∂o1 = sign(o1 − t1)/4", grad.formula
    loss = steps[steps.index_of("loss", "forward")]
    assert loss.formula.endswith("s(d) = |d| (beta = 0)"), loss.formula
    checked = [s for s in steps if s.agrees is not None]
    assert len(checked) > 20 and all(s.agrees for s in checked)


def test_smooth_l1_with_a_beta_keeps_its_two_pieces() -> None:
    tr = trace_spec(parse_spec_text(SPEC.format(beta=0.5), "beta"))
    grad = tr.steps[tr.steps.index_of("o1", "backward")]
    assert grad.formula == (
        "∂loss/∂o1 = [(o1 − t1)/0.50 if |o1 − t1| < 0.50 else sign(o1 − t1)]/4"
    ), grad.formula
    assert isinstance(tr, bptrace.Trace)
