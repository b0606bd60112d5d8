"""``--model FILE.py:factory`` and ``--state FILE.pt``: loading your own model."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from bptrace.model.errors import BptraceError
from bptrace.model.modules import ModuleTrace
from bptrace.model.trace import Trace
from bptrace.tracer.api import trace_file
from bptrace.tracer.usermodel import load_model, parse_ref

CNN = """
import torch
from torch import nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.act = nn.ReLU(inplace=True)
        self.fc = nn.Linear(2 * 4 * 4, 2)

    def forward(self, x):
        return self.fc(self.act(self.conv(x)).flatten(1))

def make():
    torch.manual_seed(0)
    return Net(), torch.randn(3, 1, 6, 6), torch.tensor([0, 1, 1]), nn.CrossEntropyLoss()

def mlp():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    return model, torch.randn(4, 2), torch.randn(4, 1), nn.MSELoss()
"""


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "models.py"
    path.write_text(textwrap.dedent(CNN), encoding="utf-8")
    return path


def test_parse_ref() -> None:
    assert parse_ref("a/b.py:make") == (Path("a/b.py"), "make")
    with pytest.raises(BptraceError, match="no ':'"):
        parse_ref("a/b.py")
    with pytest.raises(BptraceError, match="not a Python function name"):
        parse_ref("a/b.py:1x")


def test_load_and_trace_a_cnn(model_file: Path) -> None:
    model, x, t, loss = load_model(f"{model_file}:make")
    assert isinstance(model, nn.Module) and tuple(x.shape) == (3, 1, 6, 6)
    tr = trace_file(f"{model_file}:make", lr=0.1)
    assert isinstance(tr, ModuleTrace)
    assert tr.model.name == f"{model_file}:make" and tr.model.lr == 0.1
    assert [c.name for c in tr.calls] == ["conv", "act", "fc", "(model)"]


def test_an_mlp_file_gets_the_per_neuron_trace(model_file: Path) -> None:
    tr = trace_file(f"{model_file}:mlp", lr=0.5, epochs=3)
    assert isinstance(tr, Trace) and tr.training is not None and len(tr.training.loss) == 4


def test_state_dict_is_loaded(model_file: Path, tmp_path: Path) -> None:
    model, *_ = load_model(f"{model_file}:make")
    state = {k: torch.full_like(v, 0.25) for k, v in model.state_dict().items()}
    torch.save(state, tmp_path / "w.pt")
    loaded, *_ = load_model(f"{model_file}:make", tmp_path / "w.pt")
    assert all(torch.all(v == 0.25) for v in loaded.state_dict().values())
    tr = trace_file(f"{model_file}:make", tmp_path / "w.pt")
    assert isinstance(tr, ModuleTrace) and tr.param("conv.weight").value.stats.mean == 0.25


def test_state_dict_refuses_pickled_objects(model_file: Path, tmp_path: Path) -> None:
    class Evil:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (print, ("pwned",))

    torch.save({"x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(BptraceError, match="refused"):
        load_model(f"{model_file}:make", tmp_path / "evil.pt")


def test_cli_export_model(cli, model_file: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "t.json"
    r = cli("export", "--model", f"{model_file}:make", "--lr", "0.1", "-o", str(out))
    assert r.code == 0, r.err
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["kind"] == "modules" and doc["model"]["lr"] == 0.1
    r = cli("explain", "conv.weight", "--model", f"{model_file}:make")
    assert r.code == 0 and "parameter conv.weight of conv" in r.out
