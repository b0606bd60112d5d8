"""``bptrace check`` and ``check --practice`` in Chinese: the same exit status and the same
numbers as in English, Chinese prose, and no English word left but names (of quantities,
functions, commands and options).

Each case runs in-process twice, ``--lang en`` and ``--lang zh``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from bptrace_test_helpers import Result

D3 = "(o1 - t1)*o1*(1 - o1)"
D4 = "(o2 - t2)*o2*(1 - o2)"
DH1 = f"({D3}*w5 + {D4}*w7)"

CASES: dict[str, tuple[str, ...]] = {
    "right": ("check", "w5", f"{D3}*h1"),
    "missing_factor": ("check", "w5", D3),
    "sign": ("check", "w5", "(t1 - o1)*o1*(1 - o1)*h1"),
    "a_number": ("check", "w5", "0.0821670405642"),
    "practice_list": ("check", "--practice"),
    "practice_e1": ("check", "--practice", "E1"),
    "practice_e1_wrong": ("check", "--practice", "E1", "0.5*(o1 - 0.01)**2 + (o2 - 0.99)**2"),
    "practice_e1_fixed": ("check", "--practice", "E1", "((o1 - t1)**2 + (o2 - t2)**2)/2"),
    "practice_e2_wrong": ("check", "--practice", "E2", f"{DH1}*sigmoid(h1)*(1 - sigmoid(h1))*i1"),
    "practice_e2_fixed": ("check", "--practice", "E2", f"{DH1}*h1*(1 - h1)*i1"),
    "not_allowed": ("check", "w5", "__import__('os')"),
    "serve_port": ("serve", "ssh", "--authorized-keys", "keys", "--port", "70000"),
    "serve_model": ("serve", "web", "--model", "net.py"),
    "serve_sessions": ("serve", "ssh", "--authorized-keys", "keys", "--max-sessions", "0"),
}

# names that stay as they are: functions of a formula, the command, its options, the network
NAMES = {
    "bptrace", "check", "practice", "sigmoid", "exp", "log", "tanh", "relu", "sqrt", "abs",
    "loss", "MSE", "autograd", "YOUR", "FORMULA", "E1", "E2", "classic", "import", "os",
    "error", "spec", "example", "lang", "serve", "ssh", "web", "port", "model",
    "max", "sessions", "argument", "SSH", "authorized", "keys", "help", "Python", "torch",
}  # fmt: skip
NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")


def words(text: str) -> set[str]:
    """English-looking words that are not names (``w5``, ``∂loss/∂w5``, ``o1``, ``E1``)."""
    found = set(re.findall(r"(?<![\w∂])[A-Za-z]{2,}(?![\w])", text))
    return {w for w in found if w not in NAMES}


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_in_chinese_says_the_same(case: str, cli: Callable[..., Result]) -> None:
    argv = CASES[case]
    en = cli("--lang", "en", *argv)
    zh = cli("--lang", "zh", *argv)
    assert zh.code == en.code
    en_text, zh_text = en.out + en.err, zh.out + zh.err
    assert re.search(r"[\u4e00-\u9fff]", zh_text), zh_text
    assert sorted(NUMBER.findall(zh_text)) == sorted(NUMBER.findall(en_text))
    assert not words(zh_text), (words(zh_text), zh_text)
    assert ("✓" in zh_text) == ("✓" in en_text) and ("✗" in zh_text) == ("✗" in en_text)
