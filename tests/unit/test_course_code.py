"""The course's two nn.Module forms, exactly as the course writes them (tests/unit/course/):
float32, biases set through ``.data`` as 2-D tensors of shape (1, 2). They trace per neuron to
the classic numbers (to float32 precision), and every output says the biases were reshaped."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

import bptrace
from bptrace.model.jsonio import load_trace

COURSE = Path(__file__).parent / "course"
FORMS = ["course_functional.py", "course_sequential.py"]
# float64 reference numbers of the classic network (shared/seed/NOTES.md)
REFERENCE = {
    "o1": (0.7513650695523157, None),
    "o2": (0.7729284653214625, None),
    "w5": (0.40, 0.08216704056423077),
    "w1": (0.15, 0.0004385677344743467),
    "b1": (0.35, 0.008771354689486933),
    "b2": (0.35, 0.009954254705217198),
    "b3": (0.60, 0.13849856162855695),
    "b4": (0.60, -0.03809823651655623),
}


def _load(form: str) -> tuple[object, ...]:
    from bptrace.tracer.usermodel import load_model

    return tuple(load_model(f"{COURSE / form}:make", None))


@pytest.mark.parametrize("form", FORMS)
def test_the_course_code_traces_per_neuron_with_the_classic_numbers(form: str) -> None:
    model, inputs, targets, loss_fn = _load(form)
    bias = next(p for n, p in model.named_parameters() if n.endswith("bias"))  # type: ignore[attr-defined]
    assert tuple(bias.shape) == (1, 2)  # the course's 2-D bias, as written
    tr = bptrace.trace_any(model, inputs, targets, loss_fn, lr=0.1)  # type: ignore[arg-type]
    assert isinstance(tr, bptrace.Trace)
    assert tr.network.dtype == "float32"
    for name, (value, grad) in REFERENCE.items():
        node = tr[name]
        assert node.value == pytest.approx(value, rel=1e-6, abs=1e-7)
        if grad is not None:
            assert node.grad == pytest.approx(grad, rel=2e-5)
    assert tr.loss == pytest.approx(0.2983711087600027, rel=1e-6)
    assert all(step.agrees for step in tr.steps if step.phase == "backward")
    assert len(tr.warnings) == 2
    assert all(
        "has shape (1, 2) (set through .data); traced as shape (2,)" in w for w in tr.warnings
    )
    assert tuple(bias.shape) == (1, 2)  # the model is left as it was


@pytest.mark.parametrize("form", FORMS)
def test_explain_b1_says_what_was_normalised(form: str, cli: Callable[..., Result]) -> None:
    result = cli("explain", "b1", "--model", f"{COURSE / form}:make")
    assert result.code == 0, result.err
    assert result.err == ""
    assert "note: " in result.out and "bias has shape (1, 2)" in result.out
    assert "0.00877135" in result.out  # ∂loss/∂b1 in float32
    assert "✓ autograd" in result.out and "DISAGREES" not in result.out


@pytest.mark.parametrize("detail", ["scalars", "tensors"])
def test_the_course_code_exports_a_file_view_reads(
    detail: str, cli: Callable[..., Result], tmp_path: Path
) -> None:
    out = tmp_path / "course.json"
    form = f"{COURSE / FORMS[1]}:make"
    result = cli(
        "export",
        "--model",
        form,
        "--lr",
        "0.01",
        "--epochs",
        "2",
        "--detail",
        detail,
        "-o",
        str(out),
    )
    assert result.code == 0, result.err
    assert result.err == ""
    doc = json.loads(out.read_text())
    assert doc["tensors"]["layers"][0]["bias"]["value"] == pytest.approx([0.35, 0.35])
    assert any("hidde1.0.bias has shape (1, 2)" in w for w in doc["warnings"])
    tr = load_trace(out)
    assert isinstance(tr, bptrace.Trace)
    assert tr.training is not None and [b.shape for b in tr.training.biases if b is not None] == [
        (2,),
        (2,),
    ]
