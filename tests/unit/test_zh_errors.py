"""Bad input in Chinese (``--lang zh``): the same one line ``bptrace: error: ...`` as in
English, exit status 2, with the prose in Chinese and the same file, keys, values and numbers.

Each case runs twice in-process, ``--lang en`` and ``--lang zh``. The Chinese line may hold
ASCII words only when they are names: keys of the spec or the trace file, values the user gave,
type and function names (``ALLOWED``); any other English word is prose left untranslated.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

from bptrace.model.network import ACTIVATIONS, LOSSES, REDUCTIONS
from bptrace.model.spec import CLASSIC_TEXT, KEYS

C = CLASSIC_TEXT

# names that stay as they are inside a Chinese message (keys, values, types, options, tools)
ALLOWED = {
    "bptrace", "error",  # the line's prefix: stable, for scripts
    "layers", "inputs", "targets", "weights", "biases", "activation", "loss", "lr", "seed",
    "train_biases", "output_activation", "reduction", "name", "beta",
    "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "identity", "swish", "hinge", "mse",
    "mae", "bce", "cross_entropy", "smooth_l1", "mean", "sum", "yes", "nan", "inf", "NaN",
    "network", "tensors", "training", "final", "target", "target_kind", "indices", "value",
    "input", "weight", "bias", "updated", "true", "false", "null", "format", "oops", "json",
    "toml", "py", "pt", "make", "nope", "bad", "TOML", "JSON", "int", "str", "list", "tuple",
    "model", "model_fn", "torch", "nn", "Module", "Linear", "MSELoss", "three", "not_tuple",
    "not_module", "f", "w", "x", "e", "state_dict", "FILE", "FUNCTION", "models", "o",
    "example", "no_such", "epochs", "classic", "trace", "bptrace_trace", "loss_fn",
}  # fmt: skip
ALLOWED |= KEYS | set(ACTIVATIONS) | set(LOSSES) | set(REDUCTIONS)

BAD_SPECS = {
    "unknown_activation": C.replace('activation = "sigmoid"\n', 'activation = "swish"\n', 1),
    "unknown_loss": C.replace('loss = "mse"', 'loss = "hinge"'),
    "unknown_key": C + "momentum = 0.9\n",
    "layer_size": C.replace("layers = [2, 2, 2]", "layers = [2, 0, 2]"),
    "too_few_layers": C.replace("layers = [2, 2, 2]", "layers = [2]"),
    "inputs_size": C.replace("layers = [2, 2, 2]", "layers = [3, 2, 2]"),
    "weights_row": C.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20, 0.1], [0.25, 0.30]]"),
    "weights_rows": C.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20]]"),
    "target_shape": C.replace("targets = [0.01, 0.99]", "targets = [0.01, 0.99, 0.5]"),
    "nan_input": C.replace("inputs = [0.05, 0.10]", "inputs = [nan, 0.10]"),
    "negative_lr": C.replace("lr = 0.5", "lr = -1.0"),
    "ce_index": C.replace('loss = "mse"', 'loss = "cross_entropy"').replace(
        "targets = [0.01, 0.99]", "targets = [2]"
    ),
    "bce_range": C.replace('loss = "mse"', 'loss = "bce"').replace("0.99]", "1.5]"),
    "activation_list": C.replace('activation = "sigmoid"\n', 'activation = ["tanh", "relu"]\n', 1),
    "train_biases": C.replace("train_biases = true", 'train_biases = "yes"'),
    "seed": C + "seed = -1\n",
    "missing_inputs": C.replace("inputs = [0.05, 0.10]\n", ""),
    "too_big": C.replace("layers = [2, 2, 2]", "layers = [2, 1000, 1000, 2]"),
    "too_deep": "layers = [" + "[" * 1200 + "]" * 1200 + "]\ninputs = [1]\ntargets = [1]\n",
}

TRACE_EDITS = [  # (path in a real export, new value)
    ("network/lr", "@HUGE"),
    ("tensors/layers/0/bias", None),
    ("network/loss/target_kind", "indices"),
    ("tensors/layers/1/weight/updated", [[0.1, 0.2]]),
    ("tensors/input/value", [[0.05]]),
    ("training/final/w1", KeyError),
    ("training/final/w1", "oops"),
    ("tensors/layers/0/weight/updated", KeyError),
    ("tensors/layers/0/weight/value", [[0.1, 0.2], "x"]),
    ("format", "bptrace_trace"),
    ("tensors/loss", "@310"),
    ("tensors/loss", "@NaN"),
]

FACTORIES = """
import torch
from torch import nn

def three():
    return 1, 2, 3

def not_tuple():
    return nn.Linear(2, 2)

def not_module():
    return "model", torch.ones(1), torch.ones(1), nn.MSELoss()
"""


def _both(cli: Callable[..., Result], *argv: str) -> tuple[str, str]:
    """The English and the Chinese error line of one bad command (each checked as one line)."""
    lines = []
    for lang in ("en", "zh"):
        result = cli("--lang", lang, *argv)
        assert_one_error_line(result)
        assert result.out == ""
        lines.append(result.err.rstrip("\n"))
    return lines[0], lines[1]


def _facts(line: str, *paths: Path) -> tuple[list[str], list[str]]:
    """What must be the same in both languages: the quoted values and the numbers."""
    for path in paths:
        line = line.replace(str(path), "PATH")
    quoted = sorted(re.findall(r"'[^']*'", line))
    numbers = sorted(re.findall(r"-?\d+(?:[.,]\d+)*", re.sub(r"'[^']*'", "", line)))
    return quoted, numbers


def _assert_chinese(en: str, zh: str, *paths: Path) -> None:
    assert zh != en
    assert re.search(r"[\u4e00-\u9fff]", zh), zh
    bare = zh
    for path in paths:
        bare = bare.replace(str(path), "PATH")
    bare = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "", bare)  # the user's values, commands
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", bare)) - {"PATH"}
    words = {w for w in words if not re.fullmatch(r"[itlhowb][1-9][0-9]*", w)}  # w1, o2: names
    assert words <= ALLOWED, (sorted(words - ALLOWED), zh)
    assert _facts(en, *paths) == _facts(zh, *paths), (en, zh)


@pytest.mark.parametrize("case", BAD_SPECS)
def test_a_bad_spec_is_one_chinese_line(
    cli: Callable[..., Result], write_spec: Callable[..., Path], case: str
) -> None:
    spec = write_spec(BAD_SPECS[case], "bad.toml")
    en, zh = _both(cli, "export", "--spec", str(spec))
    assert str(spec) in zh
    _assert_chinese(en, zh, spec)


def test_a_missing_spec_and_an_unwritable_output_are_chinese(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.toml"
    en, zh = _both(cli, "export", "--spec", str(missing))
    assert zh == f"bptrace: error: {missing}：没有这个文件"
    _assert_chinese(en, zh, missing)
    out = tmp_path / "no" / "out.json"
    en, zh = _both(cli, "export", "-o", str(out))
    _assert_chinese(en, zh, out, out.parent)


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    """A real classic export with lr and 2 epochs (scalars detail), as a file holds it."""
    from bptrace.model.spec import parse_spec_text
    from bptrace.tracer.api import trace_spec

    tr = trace_spec(parse_spec_text(CLASSIC_TEXT, "classic"), epochs=2)
    data: dict[str, Any] = json.loads(json.dumps(tr.to_dict("scalars")))
    return data


def _edited(doc: dict[str, Any], path: str, value: Any) -> str:
    new = json.loads(json.dumps(doc))
    *keys, last = [int(k) if k.isdigit() else k for k in path.split("/")]
    place = new
    for k in keys:
        place = place[k]
    if value is KeyError:
        del place[last]
    else:
        place[last] = value
    splices = {'"@HUGE"': "1e400", '"@310"': "1" + "0" * 309, '"@NaN"': "NaN"}
    text = json.dumps(new)
    for marker, splice in splices.items():
        text = text.replace(marker, splice)
    return text


@pytest.mark.parametrize("path, value", TRACE_EDITS)
def test_a_bad_trace_file_is_one_chinese_line(
    doc: dict[str, Any], path: str, value: Any, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(_edited(doc, path, value), encoding="utf-8")
    en, zh = _both(cli, "view", str(bad))
    assert str(bad) in zh
    _assert_chinese(en, zh, bad)


def test_a_bad_model_is_one_chinese_line(cli: Callable[..., Result], tmp_path: Path) -> None:
    (tmp_path / "f.py").write_text(textwrap.dedent(FACTORIES), encoding="utf-8")
    f = tmp_path / "f.py"
    for ref in ("models.py", f"{tmp_path}/nope.py:make", f"{f}:three", f"{f}:not_tuple"):
        en, zh = _both(cli, "export", "--model", ref)
        _assert_chinese(en, zh, f, tmp_path)
    en, zh = _both(cli, "export", "--model", f"{f}:not_module")
    assert "torch.nn.Module" in zh and "str" in zh
    _assert_chinese(en, zh, f, tmp_path)
    en, zh = _both(cli, "export", "--model", f"{f}:no_such")
    assert "three" in zh  # the functions the file does have
    _assert_chinese(en, zh, f, tmp_path)


def test_an_unknown_example_and_a_bad_name_are_chinese(cli: Callable[..., Result]) -> None:
    en, zh = _both(cli, "explain", "w9")
    assert "'w9'" in zh and "w1..w8" in zh and "这个网络" in zh
    en, zh = _both(cli, "export", "--example", "no_such")
    assert "'no_such'" in zh and "--list-examples" in zh and "未知示例" in zh
