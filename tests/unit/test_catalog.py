"""The message catalog: every text the source marks has a Chinese translation with the same
placeholders, the committed .mo is the .po compiled, and the language is chosen by ``--lang``
or ``LANG`` (English by default); Chinese output holds the same numbers as English."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from bptrace_test_helpers import REPO, Result, assert_one_error_line, run_subprocess

from bptrace.i18n import LOCALE_DIR, language_from_env

PO = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "bptrace.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sdr]|%[sdr]")


def extracted() -> set[str]:
    """Every msgid marked in the package's source, as ``make catalogs`` extracts them."""
    method_map = [("**.py", "python")]
    out = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO / "src" / "bptrace"), method_map
    ):
        out.add(message if isinstance(message, str) else message[0])
    return out


def catalog() -> dict[str, str]:
    with PO.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    out = {}
    for msg in cat:
        if msg.id and "fuzzy" not in msg.flags:
            key = msg.id if isinstance(msg.id, str) else msg.id[0]
            out[key] = msg.string if isinstance(msg.string, str) else msg.string[0]
    return out


def test_every_extracted_text_has_a_chinese_translation() -> None:
    ids = extracted()
    assert len(ids) > 100
    zh = catalog()
    missing = sorted(i for i in ids if not zh.get(i, "").strip())
    assert not missing, f"untranslated (run `make catalogs`, then translate): {missing}"


def test_translations_keep_every_placeholder_and_name() -> None:
    for msgid, msgstr in catalog().items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid
        for name in re.findall(r"∂loss/∂\w+|\b[iwblhot]\d+\b", msgid):
            assert name in msgstr, (msgid, name)


def test_standard_terms() -> None:
    zh = catalog()
    assert zh["Forward pass"] == "前向传播"
    assert "反向传播" in zh["Backward pass (backpropagation, the chain rule)"]
    assert "链式法则" in zh["Backward pass (backpropagation, the chain rule)"]
    assert "激活函数" in zh["Activation function of the output layer: {name}."]
    assert "损失函数" in zh["Loss function: {loss}, reduction {reduction}; "]
    assert zh["Learning rate"] == "学习率"
    assert "权重" in zh["Layer {k} ({n_in} → {n_out}), weights"]
    assert "偏置" in zh["Layer {k}, biases"]


def test_the_committed_mo_is_the_po_compiled() -> None:
    with PO.open("rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    buf = io.BytesIO()
    write_mo(buf, cat)
    assert MO.read_bytes() == buf.getvalue(), "run `make catalogs` and commit the .mo"


def test_language_from_the_environment() -> None:
    assert language_from_env({}) == "en"
    assert language_from_env({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert language_from_env({"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}) == "en"
    assert language_from_env({"LANG": "en_US.UTF-8", "LANGUAGE": "zh_CN:en"}) == "zh"
    assert language_from_env({"LANG": "de_DE.UTF-8"}) == "en"


NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[−-]?\d+)?")


def numbers(text: str) -> list[str]:
    return sorted(NUMBER.findall(text))


@pytest.mark.parametrize(
    "args",
    [
        ("explain", "w5"),
        ("explain", "h1"),
        ("explain", "i2"),
        ("worksheet",),
        ("worksheet", "--blanks"),
        ("worksheet", "--format", "tex"),
    ],
)
def test_chinese_output_holds_the_same_numbers(
    args: tuple[str, ...], cli: Callable[..., Result]
) -> None:
    en = cli("--lang", "en", *args)
    zh = cli(*args, "--lang", "zh")
    assert en.code == zh.code == 0
    assert zh.out != en.out
    zh_text = "\n".join(line for line in zh.out.splitlines() if "CJK" not in line)  # its package
    assert numbers(zh_text) == numbers(en.out)
    assert re.search(r"[\u4e00-\u9fff]", zh.out)


ALLOWED = {
    # names that stay as they are: the network's, the activation's and loss's, torch's
    "classic", "float64", "sigmoid", "mse", "mean", "loss", "autograd", "lr", "tanh",
    "relu", "softmax", "max", "sign", "ln", "SGD",
}  # fmt: skip


def test_no_english_prose_left_in_chinese_explain(cli: Callable[..., Result]) -> None:
    out = cli("--lang", "zh", "explain", "h1").out
    words = {w for w in re.findall(r"[A-Za-z]+\d*", out) if not re.fullmatch(r"[a-z]\d*", w)}
    assert not words - ALLOWED, words - ALLOWED


def test_english_is_the_default_and_lang_selects(cli: Callable[..., Result]) -> None:
    assert "backward step 14 / 43" in cli("explain", "w5").out
    assert "反向：第 14 / 43 步" in cli("explain", "w5", "--lang=zh").out


def test_lang_from_the_environment_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    zh = run_subprocess("explain", "w5")
    en = run_subprocess("explain", "w5", "--lang", "en")
    bad = run_subprocess("explain", "w99")
    assert "反向：第 14 / 43 步" in zh.out
    assert "backward step 14 / 43" in en.out
    assert_one_error_line(bad, "w99", "未知名称")


def test_help_and_argparse_messages_in_chinese(cli: Callable[..., Result]) -> None:
    bad = cli("--lang", "zh", "worksheet", "--format", "pdf")
    assert_one_error_line(bad, "无效的选择", "pdf")
    assert_one_error_line(cli("--lang", "xx", "explain", "w5"), "--lang", "xx")
    assert_one_error_line(cli("explain", "w5", "--lang"), "--lang")


def test_chinese_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    from bptrace.cli import main

    with pytest.raises(SystemExit):
        main(["worksheet", "--help", "--lang", "zh"])
    out = capsys.readouterr().out
    assert out.startswith("用法：")
    assert "学生版" in out and "--lang" in out and "显示此帮助信息后退出" in out
