"""Odd models and odd input to the tracer, each refused in one line naming what is wrong:
inference tensors, tied weights, an empty batch, a bad learning rate, complex numbers, files
with no end, a model reference with no file name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

import bptrace


def test_trace_names_the_inference_tensor_it_finds_in_its_one_pass_over_the_model() -> None:
    """``bptrace.trace`` looks for inference tensors in the same pass that surveys the model:
    a parameter or a buffer, in a plain Sequential (run child by child) or behind a forward
    of its own, is named in the error."""
    import torch
    from torch import nn

    inputs, targets = torch.tensor([[0.05, 0.1]]), torch.tensor([[0.01, 0.99]])
    with torch.inference_mode():
        made_there = nn.Linear(2, 2)
        mask = torch.ones(2)
    plain = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), made_there)
    with pytest.raises(bptrace.BptraceError, match=r"the model's 2\.weight was created under"):
        bptrace.trace(plain, inputs, targets, nn.MSELoss())
    buffered = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid())
    buffered[0].register_buffer("mask", mask)
    with pytest.raises(bptrace.BptraceError, match=r"the model's 0\.mask was created under"):
        bptrace.trace(buffered, inputs, targets, nn.MSELoss())

    class Own(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = made_there

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.sigmoid(self.a(x))

    with pytest.raises(bptrace.BptraceError, match=r"the model's a\.weight was created under"):
        bptrace.trace(Own(), inputs, targets, nn.MSELoss())
    with torch.inference_mode():
        frozen_inputs = inputs.clone()
    with pytest.raises(bptrace.BptraceError, match="the inputs were created under"):
        bptrace.trace(nn.Sequential(nn.Linear(2, 2)), frozen_inputs, targets, nn.MSELoss())


def test_tied_weights_and_a_layer_called_twice_are_refused_with_a_reason() -> None:
    """Two Linear layers sharing one weight: autograd's gradient is the sum over both uses,
    not either layer's own, so the per-neuron trace refuses it by name (it raised a bare
    KeyError before), and ``trace_any`` traces it per module with that reason."""
    import torch
    from torch import nn

    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 3))
    model[2].weight = model[0].weight
    x, y = torch.rand(4, 3), torch.rand(4, 3)
    with pytest.raises(bptrace.BptraceError, match=r"parameter '0\.weight' is used by more than"):
        bptrace.trace(model, x, y, nn.MSELoss())
    tr = bptrace.trace_any(model, x, y, nn.MSELoss())
    assert not isinstance(tr, bptrace.Trace)
    assert tr.warnings == [
        "no per-neuron view: parameter '0.weight' is used by more than one Linear layer (tied "
        "weights): the per-neuron trace needs each layer's own parameters"
    ]
    # one Linear called twice: the old trace showed both layers the summed gradient, silently
    layer = nn.Linear(3, 3)
    twice = nn.Sequential(layer, nn.Sigmoid(), layer)
    with pytest.raises(bptrace.BptraceError, match=r"parameter '0\.weight' is used by more than"):
        bptrace.trace(twice, x, y, nn.MSELoss())


EMPTY = """
import torch
from torch import nn
def mlp():
    return nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), torch.rand(0, 2), torch.rand(0, 2), nn.MSELoss()
def own():
    class Own(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(2, 2)
        def forward(self, x):
            return torch.sigmoid(self.a(x)) * 2
    return Own(), torch.rand(0, 2), torch.rand(0, 2), nn.MSELoss()
"""


def test_an_empty_batch_is_refused_in_one_line(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """A batch of no samples (its loss is nan, no step has a term) is refused by every way
    in: the export of an MLP crashed with an IndexError, and a model of its own was traced
    per module with a nan loss."""
    import torch

    path = tmp_path / "empty.py"
    path.write_text(EMPTY)
    for factory in ("mlp", "own"):
        result = cli("export", "--model", f"{path}:{factory}", "-o", str(tmp_path / "t.json"))
        assert_one_error_line(result, "the inputs are empty (shape (0, 2))", "at least one sample")
        assert not (tmp_path / "t.json").exists()
    model, _, targets, loss_fn = bptrace.classic()
    with pytest.raises(bptrace.BptraceError, match=r"the inputs are empty \(shape \(0, 2\)\)"):
        bptrace.trace(model, torch.zeros(0, 2, dtype=torch.float64), targets, loss_fn)


@pytest.mark.parametrize("lr", [0, -1.0, True, float("nan"), float("inf"), "0.5"])
def test_the_api_refuses_a_learning_rate_the_cli_would(lr: object) -> None:
    """``lr`` must be a positive finite number, as ``--lr`` and the spec file say: the API
    took 0, -1 (gradient ascent), True, nan and inf silently (and wrote traces that
    ``load_trace`` then refused), and raised a bare TypeError for a string."""
    model, inputs, targets, loss_fn = bptrace.classic()
    for call in (bptrace.trace, bptrace.trace_any):
        with pytest.raises(bptrace.BptraceError, match="lr must be a positive finite number"):
            call(model, inputs, targets, loss_fn, lr)  # type: ignore[operator]
    with pytest.raises(bptrace.BptraceError, match="lr must be a positive finite number"):
        bptrace.train(model, inputs, targets, loss_fn, lr, 1)  # type: ignore[arg-type]
    assert bptrace.trace(model, inputs, targets, loss_fn, 0.5)["w5"].updated == 0.35891647971788465


@pytest.mark.filterwarnings("ignore:Complex modules:UserWarning")  # torch's, at .to(complex)
def test_a_complex_model_is_refused_not_cut_to_its_real_parts() -> None:
    """numpy conversion kept only the real parts of complex inputs and parameters (torch
    warned, the trace did not): refused by name instead."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(2, 2)).to(torch.complex128)
    x = torch.tensor([[1 + 1j, 2]], dtype=torch.complex128)

    def loss(o: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return (o - t).abs().sum()

    with pytest.raises(
        bptrace.BptraceError, match=r"complex tensors are not supported \(complex128\)"
    ):
        bptrace.trace_any(model, x, x, loss)
    real = nn.Sequential(nn.Linear(2, 2)).double()
    with pytest.raises(bptrace.BptraceError, match="complex tensors are not supported"):
        bptrace.trace_any(real, x, x, loss)


def test_a_file_with_no_end_is_read_only_up_to_the_limit(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A device reports a size of 0: ``--spec /dev/zero`` read until memory ran out (11.8 GB
    in 6 s). Now at most one byte past the limit is read, from a device or a pipe alike, and
    a spec with Windows line ends still reads as before."""
    assert_one_error_line(
        cli("export", "--spec", "/dev/zero"),
        "/dev/zero: more than the 16777216 byte limit for a spec",
    )
    crlf = tmp_path / "crlf.toml"
    crlf.write_bytes(
        b"layers = [2, 2, 2]\r\ninputs = [[0.05, 0.1]]\r\ntargets = [[0.01, 0.99]]\r\nseed = 3\r\n"
    )
    ok = cli("export", "--spec", str(crlf), "-o", str(tmp_path / "t.json"))
    assert ok.code == 0, ok.err


def test_a_model_reference_with_no_file_name_says_so(cli: Callable[..., Result]) -> None:
    """``--model :make`` has its ':'; what it lacks is the file name (it was told "no ':'")."""
    assert_one_error_line(
        cli("export", "--model", ":make"), "got ':make' (no file name before ':')"
    )
    assert_one_error_line(cli("export", "--model", "models.py"), "got 'models.py' (no ':')")


def test_a_name_the_json_could_not_hold_is_refused(tmp_path: Path) -> None:
    """``bptrace.trace(..., name=5)`` or a name with control characters was accepted, and the
    JSON it exported was then refused by ``load_trace`` (as the CLI's spec check would have
    refused the name). A ``--model`` path holding a newline is named by its quoted form."""
    from bptrace.model.jsonio import dumps

    model, inputs, targets, loss_fn = bptrace.classic()
    for name in (5, "a\x1b[2J", "two\nlines"):
        for call in (bptrace.trace, bptrace.trace_any):
            with pytest.raises(bptrace.BptraceError, match="name must be a string of printable"):
                call(model, inputs, targets, loss_fn, name=name)  # type: ignore[operator]
    path = tmp_path / "a\nb.py"
    path.write_text(
        "import torch\nfrom torch import nn\n"
        "def make():\n"
        "    m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()).double()\n"
        "    x = torch.tensor([[0.05, 0.1]], dtype=torch.float64)\n"
        "    return m, x, torch.tensor([[0.01, 0.99]], dtype=torch.float64), nn.MSELoss()\n"
    )
    from bptrace.tracer.api import trace_file

    tr = trace_file(f"{path}:make")
    assert isinstance(tr, bptrace.Trace)
    assert tr.network.name is not None and "\\n" in tr.network.name and "\n" not in tr.network.name
    saved = tmp_path / "t.json"
    saved.write_text(dumps(tr))
    loaded = bptrace.load_trace(saved)
    assert isinstance(loaded, bptrace.Trace) and loaded.network.name == tr.network.name


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors:UserWarning")  # torch's
def test_settings_and_widths_a_trace_could_not_hold_are_refused() -> None:
    """A Linear layer with no outputs crashed with numpy's "need at least one array to
    stack"; a LeakyReLU slope or a SmoothL1 beta of inf or nan was traced into a JSON that
    ``load_trace`` refused. Each is refused by name (``trace_any`` traces per module)."""
    import torch
    from torch import nn

    x, t = torch.randn(4, 3, dtype=torch.float64), torch.rand(4, 2, dtype=torch.float64)
    empty = nn.Sequential(nn.Linear(3, 0), nn.Sigmoid(), nn.Linear(0, 2)).double()
    with pytest.raises(bptrace.BptraceError, match=r"Linear layer '0' has no outputs"):
        bptrace.trace(empty, x, t, nn.MSELoss())
    assert "has no outputs" in bptrace.trace_any(empty, x, t, nn.MSELoss()).warnings[0]
    for bad in (float("nan"), float("inf")):
        leaky = nn.Sequential(nn.Linear(3, 2), nn.LeakyReLU(bad)).double()
        with pytest.raises(
            bptrace.BptraceError, match=r"LeakyReLU '1': negative_slope must be a finite number"
        ):
            bptrace.trace(leaky, x, t, nn.MSELoss())
        plain = nn.Sequential(nn.Linear(3, 2)).double()
        with pytest.raises(bptrace.BptraceError, match=r"SmoothL1Loss's beta must be a finite"):
            bptrace.trace(plain, x, t, nn.SmoothL1Loss(beta=bad))
