"""The checker's parser: code in a formula is refused with exit 2 and one line, and never run.

Every payload would create a marker file if any of it were executed; the test checks the
file is not there, and that nothing was imported along the way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

from bptrace.model.expr import FormulaError, parse


def payloads(marker: Path) -> list[str]:
    touch = f"open({str(marker)!r}, 'w')"
    system = f"__import__('os').system('touch {marker}')"
    return [
        system,
        "__import__",
        touch,
        f"exec({touch!r})",
        f"eval({touch!r})",
        f"o1.__class__.__init__.__globals__['os'].system('touch {marker}')",
        "o1.__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "h1.real",
        "w5[0]",
        f"(lambda: {touch})()",
        f"[{touch} for x in (1,)]",
        f"{{{touch}: 1}}",
        "'abc'",
        "b'abc'",
        "f'{w5}'",
        "sigmoid(x=h1)",
        "exp(h1, h1)",
        "getattr(o1, 'real')",
        "__builtins__",
        "_w5",
        "9**9**9**9",
        "2**100000",
        "h1 if o1 else w5",
        "(w5 := 1)",
        "h1 and w5",
        "h1 < w5",
        "w5 // 2",
        "w5 % 2",
        "~w5",
        "not w5",
        "1j*w5",
        "*w5",
        "w5; import os",
        "import os",
        "w5\nimport os",
        "x" * 10_000,
        "(" * 5000 + "w5" + ")" * 5000,
        "-" * 1500 + "w5",
        "+".join(["w5"] * 800),
        "exp(" * 200 + "w5" + ")" * 200,
        "1e999",
        "9" * 400,
        "",
        "   ",
        "numpy.exp(w5)",
        "os",
        "print(w5)",
        "w5 @ w5",
    ]


def test_at_least_twenty_payloads_are_refused(tmp_path: Path, cli: Callable[..., Result]) -> None:
    marker = tmp_path / "ran"
    before = set(sys.modules)
    attempts = payloads(marker)
    assert len(attempts) >= 20
    for text in attempts:
        result = cli("check", "w5", text)
        assert result.code == 2, (text[:60], result.out)
        assert result.out == ""
        assert result.err.startswith("bptrace: error: ")
        assert result.err.count("\n") == 1, result.err
        assert "Traceback" not in result.err
        assert not marker.exists(), text[:60]
    new = {m for m in set(sys.modules) - before if m.split(".")[0] in ("os", "subprocess", "pty")}
    assert not new


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("o1.__class__", "attributes"),
        ("w5[0]", "subscripts"),
        ("(lambda: 1)()", "lambdas"),
        ("[h1 for h1 in (1,)]", "not allowed"),
        ("'x'", "strings"),
        ("print(w5)", "unknown name 'print'"),
        ("sigmoid(x=h1)", "not allowed"),
        ("__import__", "not allowed"),
        ("9**9**999", "exponent is too large"),
        ("x" * 10_000, "too long"),
        ("(" * 100 + "w5" + ")" * 100, "nested too deeply"),
        ("-" * 1500 + "w5", "nested too deeply"),
        ("w99", "unknown name 'w99'"),
    ],
)
def test_what_is_refused_is_named(text: str, said: str) -> None:
    names = {"w5", "h1", "o1", "t1", "i1"}
    with pytest.raises(FormulaError) as info:
        parse(text, names.__contains__)
    assert said in str(info.value)
    assert "\n" not in str(info.value)


def test_huge_values_do_not_hang() -> None:
    from bptrace.model.expr_eval import Env, evaluate

    # not a constant exponent: evaluated in float64, so it overflows to inf (no big integers)
    expr = parse("w5**(w5*64)**64", {"w5"}.__contains__)
    env = Env(lambda n: 9.0, lambda n: 0.0)
    assert float(evaluate(expr, env)) == float("inf")
