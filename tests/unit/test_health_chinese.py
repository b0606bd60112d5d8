"""Gradient-health flags in Chinese hold the same nodes, kinds, numbers and thresholds as in
English; only the prose around them changes (every kind: vanishing, exploding, dead, NaN/inf,
in a module trace and in an MLP trace)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
import torch
from torch import nn

from bptrace.i18n import set_language
from bptrace.model.health import Flag, check
from bptrace.model.modules import ModuleTrace
from bptrace.model.trace import Trace
from bptrace.tracer.api import trace_any, trace_example_any
from bptrace.tracer.examples import example
from bptrace.tracer.modules import trace_modules

D = torch.float64
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture
def both() -> Iterator[None]:
    yield
    set_language("en")


def flags_in(lang: str, tr: ModuleTrace | Trace) -> list[Flag]:
    set_language(lang)
    return check(tr)


def nan_trace() -> ModuleTrace:
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=D), nn.Flatten(), nn.Linear(8, 1, dtype=D))
    x = torch.ones(1, 1, 4, 4, dtype=D)
    x[0, 0, 0, 0] = math.nan
    return trace_modules(model, x, torch.zeros(1, 1, dtype=D), nn.MSELoss())


def exploding_trace() -> ModuleTrace:
    model = nn.Sequential(nn.Linear(3, 3, dtype=D), nn.Linear(3, 1, dtype=D))
    x = torch.full((4, 3), 1e4, dtype=D)
    return trace_modules(model, x, torch.zeros(4, 1, dtype=D), nn.MSELoss(reduction="sum"))


def module_example(name: str) -> ModuleTrace:
    (model, x, t, loss), lr = example(name)
    return trace_modules(model, x, t, loss, lr, name)


def nan_mlp() -> Trace:
    model = nn.Sequential(nn.Linear(2, 2, dtype=D), nn.Sigmoid())
    x = torch.tensor([[math.inf, 1.0]], dtype=D)
    tr = trace_any(model, x, torch.zeros(1, 2, dtype=D), nn.MSELoss())
    assert isinstance(tr, Trace)
    return tr


TRACES = {
    "deep-sigmoid (modules)": lambda: module_example("deep-sigmoid"),
    "dead-relu (modules)": lambda: module_example("dead-relu"),
    "nan input (modules)": nan_trace,
    "exploding (modules)": exploding_trace,
    "deep-sigmoid (MLP)": lambda: trace_example_any("deep-sigmoid"),
    "dead-relu (MLP)": lambda: trace_example_any("dead-relu"),
    "inf input (MLP)": nan_mlp,
}


@pytest.mark.parametrize("name", list(TRACES))
def test_chinese_flags_hold_the_english_numbers(name: str, both: None) -> None:
    tr = TRACES[name]()
    en = flags_in("en", tr)
    zh = flags_in("zh", tr)
    assert en, "the trace must have something to flag"
    assert [(f.node, f.kind, f.value, f.threshold, f.module, f.layer) for f in zh] == [
        (f.node, f.kind, f.value, f.threshold, f.module, f.layer) for f in en
    ]
    for e, z in zip(en, zh, strict=True):
        assert NUMBER.findall(z.message) == NUMBER.findall(e.message), (e.message, z.message)
        assert re.search(r"[\u4e00-\u9fff]", z.message), z.message
        assert z.message != e.message
        assert z.mark == e.mark and z.to_dict()["value"] == e.to_dict()["value"]


def test_each_kind_reads_in_chinese(both: None) -> None:
    kinds = {}
    for make in TRACES.values():
        for f in flags_in("zh", make()):
            kinds.setdefault(f.kind, f)
    assert set(kinds) == {"vanishing", "exploding", "dead", "nonfinite"}
    assert kinds["vanishing"].message.startswith("梯度消失：‖∂loss/∂W‖ / ‖W‖ = ")
    assert kinds["vanishing"].message.endswith(" < 0.0001")
    assert kinds["exploding"].message.startswith("梯度爆炸：‖∂loss/∂W‖ / ‖W‖ = ")
    assert kinds["exploding"].message.endswith(" > 10")
    assert "对每个样本都输出 0" in kinds["dead"].message
    assert re.search(r"：\d+ 个 NaN，\d+ 个 inf", kinds["nonfinite"].message)


def test_dead_relu_line_in_both_languages(both: None) -> None:
    tr = module_example("dead-relu")
    set_language("en")
    assert check(tr)[0].line() == (
        "○ 1: dead ReLU units: 88% output 0 for every sample, so their gradients are 0"
    )
    set_language("zh")
    assert (
        check(tr)[0].line()
        == "○ 1：ReLU 死亡单元：88% 的单元对每个样本都输出 0，因此它们的梯度为 0"
    )


def test_an_mlp_layer_is_named_in_chinese_but_keeps_its_node(both: None) -> None:
    tr = trace_example_any("deep-sigmoid")
    set_language("zh")
    first = check(tr)[0]
    assert first.node == "layer 1"  # the name export and lookups use
    assert first.line().startswith("▼ 第 1 层：梯度消失：")
    set_language("en")
    assert check(tr)[0].line().startswith("▼ layer 1: vanishing gradient: ")


def test_nan_message_in_chinese_names_what_holds_it(both: None) -> None:
    tr = nan_trace()
    set_language("zh")
    by_node = {f.node: f.message for f in check(tr) if f.kind == "nonfinite"}
    assert by_node["input"] == "值：1 个 NaN，0 个 inf；梯度：16 个 NaN，0 个 inf"
    set_language("en")
    by_node = {f.node: f.message for f in check(tr) if f.kind == "nonfinite"}
    assert by_node["input"] == "value has 1 NaN and 0 inf; gradient has 16 NaN and 0 inf"
