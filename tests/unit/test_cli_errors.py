"""Bad input of every kind: exit 2, one line ``bptrace: error: ...`` naming the culprit,
no traceback, and no output file left behind."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from bptrace_test_helpers import assert_one_error_line, run_subprocess

from bptrace.model.spec import CLASSIC_TEXT

C = CLASSIC_TEXT

BAD_SPECS = {
    # name: (spec text, words the error line must contain)
    "bad_toml": ("layers = [2, 2, 2\n", ["not valid TOML"]),
    "unknown_activation": (
        C.replace('activation = "sigmoid"\n', 'activation = "swish"\n', 1),
        ["activation", "swish"],
    ),
    "unknown_output_activation": (
        C.replace('output_activation = "sigmoid"', 'output_activation = "gelu"'),
        ["output_activation", "gelu"],
    ),
    "unknown_loss": (C.replace('loss = "mse"', 'loss = "hinge"'), ["loss", "hinge"]),
    "unknown_key": (C + "momentum = 0.9\n", ["momentum"]),
    "wrong_layer_sizes": (
        C.replace("layers = [2, 2, 2]", "layers = [2, 0, 2]"),
        ["layers[1]", "0"],
    ),
    "too_few_layers": (C.replace("layers = [2, 2, 2]", "layers = [2]"), ["layers"]),
    "inputs_size": (C.replace("layers = [2, 2, 2]", "layers = [3, 2, 2]"), ["inputs", "3"]),
    "weights_shape": (
        C.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20, 0.1], [0.25, 0.30, 0.1]]"),
        ["weights[0][0]", "2"],
    ),
    "weights_rows": (
        C.replace("[[0.15, 0.20], [0.25, 0.30]]", "[[0.15, 0.20]]"),
        ["weights[0]", "rows"],
    ),
    "biases_shape": (
        C.replace("biases = [[0.35, 0.35], [0.60, 0.60]]", "biases = [[0.35], [0.60, 0.60]]"),
        ["biases[0]"],
    ),
    "target_shape": (
        C.replace("targets = [0.01, 0.99]", "targets = [0.01, 0.99, 0.5]"),
        ["targets", "3"],
    ),
    "target_count": (
        C.replace("inputs = [0.05, 0.10]", "inputs = [[0.05, 0.10], [0.2, 0.3]]"),
        ["targets"],
    ),
    "nan_input": (C.replace("inputs = [0.05, 0.10]", "inputs = [nan, 0.10]"), ["inputs[0]", "nan"]),
    "inf_input": (C.replace("inputs = [0.05, 0.10]", "inputs = [0.05, inf]"), ["inputs[1]", "inf"]),
    "nan_weight": (C.replace("0.15", "-inf"), ["weights[0][0][0]", "inf"]),
    "nan_lr": (C.replace("lr = 0.5", "lr = nan"), ["lr", "nan"]),
    "negative_lr": (C.replace("lr = 0.5", "lr = -1.0"), ["lr"]),
    "ce_index_out_of_range": (
        C.replace('loss = "mse"', 'loss = "cross_entropy"').replace(
            "targets = [0.01, 0.99]", "targets = [2]"
        ),
        ["targets", "2", "out of range"],
    ),
    "bce_target_range": (
        C.replace('loss = "mse"', 'loss = "bce"').replace("0.99]", "1.5]"),
        ["targets", "1.5"],
    ),
    "activation_list_length": (
        C.replace('activation = "sigmoid"\n', 'activation = ["tanh", "relu"]\n', 1),
        ["activation", "2"],
    ),
    "train_biases_type": (
        C.replace("train_biases = true", 'train_biases = "yes"'),
        ["train_biases", "yes"],
    ),
    "seed_type": (C + "seed = -1\n", ["seed", "-1"]),
    "missing_inputs": (C.replace("inputs = [0.05, 0.10]\n", ""), ["inputs", "missing"]),
}


@pytest.mark.parametrize("case", BAD_SPECS)
@pytest.mark.parametrize("command", ["export", "explain"])
def test_bad_spec(cli, write_spec, tmp_path: Path, case: str, command: str) -> None:  # type: ignore[no-untyped-def]
    text, needles = BAD_SPECS[case]
    spec = write_spec(text, "bad.toml")
    out = tmp_path / "out.json"
    argv = (
        ["export", "--spec", str(spec), "-o", str(out)]
        if command == "export"
        else ["explain", "w5", "--spec", str(spec)]
    )
    result = cli(*argv)
    assert_one_error_line(result, str(spec), *needles)
    assert result.out == ""
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]


def test_missing_spec_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "nope.toml"
    out = tmp_path / "out.json"
    result = cli("export", "--spec", str(missing), "-o", str(out))
    assert_one_error_line(result, str(missing), "no such file")
    assert not out.exists()


def test_spec_is_a_directory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(cli("export", "--spec", str(tmp_path)), str(tmp_path))


def test_spec_not_utf8(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    spec = tmp_path / "bin.toml"
    spec.write_bytes(b"\xff\xfe\x00layers")
    assert_one_error_line(cli("export", "--spec", str(spec)), str(spec))


@pytest.mark.parametrize("name", ["w9", "h3", "o3", "b5", "x1", "w0", "", "loss2"])
def test_unknown_name_for_explain(cli, name: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("explain", name)
    assert_one_error_line(result, repr(name))
    assert result.out == ""


@pytest.mark.parametrize("epochs", ["-1", "abc", "1.5", ""])
def test_bad_epochs(cli, tmp_path: Path, epochs: str) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.json"
    result = cli("export", "--epochs", epochs, "-o", str(out))
    assert_one_error_line(
        result, "--epochs", repr(epochs) if epochs in ("abc", "1.5", "") else epochs
    )
    assert not out.exists()


def test_bad_detail(cli) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(cli("export", "--detail", "everything"), "--detail", "everything")


def test_output_directory_missing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "no" / "such" / "dir" / "out.json"
    result = cli("export", "-o", str(out))
    assert_one_error_line(result, str(out))
    assert not out.parent.exists()


def test_output_under_a_regular_file(cli) -> None:  # type: ignore[no-untyped-def]
    out = "/etc/passwd/x.json"
    result = cli("export", "-o", out)
    assert_one_error_line(result, out)


def test_output_is_a_directory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = cli("export", "-o", str(tmp_path))
    assert_one_error_line(result, str(tmp_path))


def test_output_in_read_only_directory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root (or similar): a read-only directory does not block writes")
        out = ro / "out.json"
        result = cli("export", "-o", str(out))
        assert_one_error_line(result, str(out))
        assert list(ro.iterdir()) == []
    finally:
        ro.chmod(0o755)


def test_existing_output_survives_a_failed_export(cli, write_spec, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "out.json"
    out.write_text("previous", encoding="utf-8")
    spec = write_spec(C.replace('loss = "mse"', 'loss = "hinge"'), "bad.toml")
    assert_one_error_line(cli("export", "--spec", str(spec), "-o", str(out)), "hinge")
    assert out.read_text(encoding="utf-8") == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml", "out.json"]


# -- bptrace view: reading a trace back ------------------------------------------------------


@pytest.fixture
def good_doc(classic_trace) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return classic_trace.to_dict()


def _write(tmp_path: Path, doc: object, name: str = "t.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def test_view_truncated(cli, tmp_path: Path, classic_trace) -> None:  # type: ignore[no-untyped-def]
    text = json.dumps(classic_trace.to_dict())
    path = _write(tmp_path, text[: len(text) // 2])
    assert_one_error_line(cli("view", str(path)), str(path), "not valid JSON")


def test_view_missing(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "none.json"
    assert_one_error_line(cli("view", str(path)), str(path))


def test_view_wrong_format(cli, tmp_path: Path, good_doc: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    good_doc["format"] = "something.else"
    path = _write(tmp_path, good_doc)
    assert_one_error_line(cli("view", str(path)), str(path), "something.else")


def test_view_not_an_object(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = _write(tmp_path, [1, 2, 3])
    assert_one_error_line(cli("view", str(path)), str(path))


def test_view_wrong_version(cli, tmp_path: Path, good_doc: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    good_doc["version"] = 999
    path = _write(tmp_path, good_doc)
    assert_one_error_line(cli("view", str(path)), str(path), "999")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["network"].__setitem__("sizes", "two"),
        lambda d: d["tensors"].__setitem__("loss", [1, 2]),
        lambda d: d["tensors"]["layers"][0]["weight"].__setitem__("value", "w"),
        lambda d: d["tensors"]["layers"][0]["weight"].__setitem__("value", [[1.0, 2.0, 3.0]]),
        lambda d: d["network"].__setitem__("batch", -1),
        lambda d: d["steps"][0].__setitem__("phase", "sideways"),
        lambda d: d.pop("tensors"),
    ],
    ids=["sizes", "loss", "weight_type", "weight_shape", "batch", "phase", "no_tensors"],
)
def test_view_wrong_types(cli, tmp_path: Path, good_doc: dict, mutate) -> None:  # type: ignore[no-untyped-def,type-arg]
    mutate(good_doc)
    path = _write(tmp_path, good_doc)
    assert_one_error_line(cli("view", str(path)), str(path))


# -- end to end, in a fresh interpreter --------------------------------------------------------


def test_subprocess_missing_spec(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run_subprocess("export", "--spec", str(tmp_path / "missing.toml"), "-o", str(out))
    assert_one_error_line(result, "missing.toml")
    assert not out.exists()


def test_subprocess_nan_input(tmp_path: Path) -> None:
    spec = tmp_path / "nan.toml"
    spec.write_text(C.replace("inputs = [0.05, 0.10]", "inputs = [nan, 0.10]"), encoding="utf-8")
    out = tmp_path / "out.json"
    assert_one_error_line(
        run_subprocess("export", "--spec", str(spec), "-o", str(out)), "inputs[0]"
    )
    assert not out.exists()


def test_subprocess_view_truncated(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"format": "bptrace.trace", "vers', encoding="utf-8")
    assert_one_error_line(run_subprocess("view", str(path)), str(path))


def test_subprocess_success(tmp_path: Path) -> None:
    out = tmp_path / "ok.json"
    result = run_subprocess("export", "-o", str(out))
    assert result.code == 0 and result.err == "" and result.out == ""
    assert json.loads(out.read_text(encoding="utf-8"))["nodes"]["w5"]["grad"] == pytest.approx(
        0.08216704056423077, abs=1e-12
    )
    explained = run_subprocess("explain", "w5")
    assert explained.code == 0 and "0.082167" in explained.out and "\x1b[" not in explained.out
