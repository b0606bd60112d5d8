"""Cross-entropy odd cases: a class index the loss ignores is refused by name (torch leaves
that sample out, the formulas count it: every step disagreed), and the factor table shows the
Iverson bracket ``[t1 = 0]`` (a Rich table took it for a markup tag and printed ``(p1 − )``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

import bptrace

MODEL = """
import torch
from torch import nn

def make(ignore=-100, targets=(0, 1, 2, 1)):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 3)).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    return model, x, torch.tensor(targets), nn.CrossEntropyLoss(ignore_index=ignore)

def ignores_one():
    return make(ignore=1)

def ignores_the_default():
    return make(targets=(0, -100, 2, 1))
"""


@pytest.fixture
def models(tmp_path: Path) -> Path:
    path = tmp_path / "ce.py"
    path.write_text(MODEL)
    return path


def _load(path: Path, factory: str) -> tuple[object, ...]:
    from bptrace.tracer.usermodel import load_model

    return load_model(f"{path}:{factory}", None)


def test_a_target_equal_to_ignore_index_is_refused_by_name(
    models: Path, cli: Callable[..., Result]
) -> None:
    """``CrossEntropyLoss(ignore_index=1)`` with sample 2's target 1: torch drops that
    sample and divides by 3, the per-neuron formulas did not, and every backward step said
    DISAGREES. The API refuses it; the CLI traces it per module and says why when a
    per-neuron name is asked for."""
    for factory, index in (("ignores_one", 1), ("ignores_the_default", -100)):
        model, inputs, targets, loss_fn = _load(models, factory)
        with pytest.raises(
            bptrace.BptraceError,
            match=rf"CrossEntropyLoss\(ignore_index={index}\) leaves out sample 2, whose "
            rf"target is {index}",
        ):
            bptrace.trace(model, inputs, targets, loss_fn)  # type: ignore[arg-type]
    explained = cli("--model", f"{models}:ignores_one", "explain", "o1")
    assert_one_error_line(
        explained,
        "unknown name 'o1'",
        "no per-neuron view: CrossEntropyLoss(ignore_index=1) leaves out sample 2",
    )
    checked = cli("--model", f"{models}:ignores_one", "check", "o1", "o1")
    assert_one_error_line(
        checked, "this model is traced per module; no per-neuron view: CrossEntropyLoss"
    )


def test_an_ignore_index_no_target_uses_changes_nothing(models: Path) -> None:
    """ignore_index=1 with no target 1 (and the default -100) traces per neuron, and every
    step agrees with autograd."""
    for targets in ((0, 2, 2, 0), (0, 1, 2, 1)):
        model, inputs, t, _ = _load(models, "make")
        import torch
        from torch import nn

        loss_fn = nn.CrossEntropyLoss(ignore_index=1 if 1 not in targets else -100)
        tr = bptrace.trace(model, inputs, torch.tensor(targets), loss_fn)  # type: ignore[arg-type]
        checked = [s for s in tr.steps if s.agrees is not None]
        assert len(checked) > 30 and all(s.agrees for s in checked)


def test_the_factor_table_shows_the_target_bracket(
    models: Path, cli: Callable[..., Result]
) -> None:
    """The factor table of ∂loss/∂o1 (cross-entropy on class indices) read ``(p1 − )/4``:
    ``[t1 = 0]`` was taken for a Rich markup tag, in ``explain`` and in the app's step pane."""
    from rich.console import Console

    from bptrace.tui.widgets.step_pane import step_body

    result = cli("--model", f"{models}:make", "explain", "o1")
    assert result.code == 0, result.err
    rows = result.out.splitlines()
    table = [row.strip() for row in rows[rows.index(next(r for r in rows if "formula" in r)) :]]
    assert table[1].startswith("∂loss/∂o1") and "(p1 − [t1 = 0])/4" in table[1], table
    model, inputs, targets, loss_fn = _load(models, "make")
    tr = bptrace.trace(model, inputs, targets, loss_fn)  # type: ignore[arg-type]
    step = tr.steps[tr.steps.index_of("o1", "backward")]
    group, _, _ = step_body(step, len(tr.steps), tr.steps.rtol)
    console = Console(width=200, record=True, color_system=None)
    console.print(group)
    shown = console.export_text()
    rows = [line for line in shown.splitlines() if line.lstrip().startswith("∂loss/∂o1  ")]
    assert len(rows) == 1 and "(p1 − [t1 = 0])/4" in rows[0], shown


def test_class_indices_of_the_wrong_type_are_named() -> None:
    """int8/int32/bool indices were taken for probability targets ("must have the output's
    shape (4, 3), got (4,)"), and int32 failed inside torch; float indices now get a hint."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 3)).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    for dtype in (torch.int8, torch.int16, torch.int32, torch.bool):
        with pytest.raises(
            bptrace.BptraceError,
            match=rf"class-index targets must be int64 \(torch.long\), got "
            rf"{str(dtype).removeprefix('torch.')}: convert them with targets.long\(\)",
        ):
            bptrace.trace(model, x, torch.tensor([0, 1, 0, 1]).to(dtype), nn.CrossEntropyLoss())
    with pytest.raises(bptrace.BptraceError, match=r"class indices must be integers"):
        bptrace.trace(model, x, torch.tensor([0.0, 1, 2, 1]).double(), nn.CrossEntropyLoss())
    for dtype in (torch.int64, torch.uint8):
        tr = bptrace.trace(model, x, torch.tensor([0, 1, 2, 1]).to(dtype), nn.CrossEntropyLoss())
        assert tr.network.loss.target_kind == "indices"


def test_probability_targets_of_another_precision_are_refused() -> None:
    """float32 probability targets on a float64 model: torch works part of the loss in float32
    and every output step said DISAGREES (by about 1e-6), so the checker would call a right
    formula wrong. Refused with the conversion to make; the same precision still traces."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)).double()
    x = torch.randn(4, 3, dtype=torch.float64)
    probs = torch.rand(4, 2, dtype=torch.float64)
    with pytest.raises(
        bptrace.BptraceError,
        match=r"probability targets are float32 but the model's output is float64: convert "
        r"them to float64",
    ):
        bptrace.trace(model, x, probs.float(), nn.CrossEntropyLoss())
    tr = bptrace.trace(model, x, probs, nn.CrossEntropyLoss())
    checked = [s for s in tr.steps if s.agrees is not None]
    assert len(checked) > 20 and all(s.agrees for s in checked)
