"""Every command's ``--help`` in Chinese: Chinese prose, and no English word left but names
(commands, options and their metavars, packages, formats, and the network's own names).
Argparse's own texts (``usage:``, ``-h``, ``--version``) are translated too."""

from __future__ import annotations

import re

import pytest

from bptrace.cli import main

COMMANDS = [[], ["export"], ["explain"], ["check"], ["quiz"], ["view"], ["serve"]]
COMMANDS += [["serve", "ssh"], ["serve", "web"], ["worksheet"]]
# names: the commands, the functions of a formula, packages and formats, the languages,
# what --model's function returns, the detail levels, the worksheet's phases
NAMES = {
    "check", "explain", "export", "quiz", "serve", "view", "worksheet", "ssh", "web", "spec",
    "abs", "exp", "log", "relu", "sigmoid", "sqrt", "tanh", "loss", "bptrace", "Linear",
    "Python", "pytest", "torch", "textual", "LaTeX", "Markdown", "md", "tex", "en", "zh",
    "model", "inputs", "targets", "state", "dict", "scalars", "tensors", "backward",
}  # fmt: skip


def english_words(text: str) -> set[str]:
    """Words of two or more Latin letters that are not an option, a METAVAR or a name."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("["))
    text = re.sub(r"--?[\w-]+", "", text)  # options
    words = set(re.findall(r"(?<![\w∂./])[A-Za-z]{2,}(?![\w.])", text))
    return {w for w in words if not w.isupper()} - NAMES


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "bptrace")
def test_every_help_in_chinese_holds_no_english_prose(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help", "--lang", "zh"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：")
    assert len(re.findall(r"[\u4e00-\u9fff]", out)) > 20
    assert not english_words(out), english_words(out)


def test_the_english_help_is_english(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help", "--lang", "en"])
    out = capsys.readouterr().out
    assert out.startswith("usage:")
    assert "show program's version number and exit" in out
    assert not re.search(r"[\u4e00-\u9fff]", out)
