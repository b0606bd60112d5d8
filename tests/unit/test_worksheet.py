"""``bptrace worksheet``: every step of the classic network with the reference numbers, the
student's version without a single result, the key with all of them, and the step selection."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result, assert_one_error_line

from bptrace.model.spec import CLASSIC_TEXT

# Step number (as in the app) -> the value it computes, float64, from ../shared/seed/NOTES.md
# (∂loss/∂i and the updated biases: the reference gradients put into their one-line formulas).
REFERENCE = {
    1: 0.3775,
    2: 0.3925,
    3: 0.5932699921071872,
    4: 0.596884378259767,
    5: 1.10590596705977,
    6: 1.2249214040964653,
    7: 0.7513650695523157,
    8: 0.7729284653214625,
    9: 0.2983711087600027,
    10: 0.7413650695523157,
    11: -0.21707153467853746,
    12: 0.13849856162855695,
    13: -0.03809823651655623,
    14: 0.08216704056423077,
    15: 0.08266762784753325,
    16: -0.022602540477475067,
    17: -0.02274024221597822,
    18: 0.13849856162855695,
    19: -0.03809823651655623,
    20: 0.03635030639314467,
    21: 0.0413703226487447,
    22: 0.008771354689486933,
    23: 0.009954254705217198,
    24: 0.0004385677344743467,
    25: 0.0008771354689486934,
    26: 0.0004977127352608599,
    27: 0.0009954254705217198,
    28: 0.008771354689486933,
    29: 0.009954254705217198,
    30: 0.0038042668797273393,
    31: 0.004740547349462546,
    32: 0.1497807161327628,
    33: 0.19956143226552567,
    34: 0.24975114363236958,
    35: 0.29950228726473915,
    36: 0.3456143226552565,
    37: 0.3450228726473914,
    38: 0.35891647971788465,
    39: 0.4086661860762334,
    40: 0.5113012702387375,
    41: 0.5613701211079891,
    42: 0.5307507191857215,
    43: 0.6190491182582781,
}
# What the student computes, as the app shows it (6 significant digits)
SHOWN = [
    "0.3775", "0.3925", "0.593270", "0.596884", "1.105906", "1.224921", "0.751365", "0.772928",
    "0.298371", "0.741365", "−0.217072", "0.138499", "−0.0380982", "0.082167", "0.0826676",
    "−0.0226025", "−0.0227402", "0.0363503", "0.0413703", "0.00877135", "0.00995425",
    "0.000438568", "0.000877135", "0.000497713", "0.000995425", "0.00380427", "0.00474055",
    "0.149781", "0.199561", "0.249751", "0.299502", "0.345614", "0.345023", "0.358916",
    "0.408666", "0.511301", "0.561370", "0.530751", "0.619049",
    "0.186816", "0.175510", "0.0553994", "−0.0190491",  # factors and per-path terms
]  # fmt: skip
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def sections(text: str) -> dict[int, str]:
    """Step number -> the text of that step (from its heading to the next)."""
    parts = re.split(r"^### ", text, flags=re.M)[1:]
    out = {}
    for part in parts:
        m = re.match(r"Step (\d+) of 43", part)
        assert m, part[:80]
        out[int(m.group(1))] = part
    return out


def full_value(section: str) -> float:
    m = re.search(r"(?:full precision: |autograd gives )(-?[0-9.e-]+)", section)
    assert m, section
    return float(m.group(1))


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text.replace("−", "-")))


@pytest.fixture
def sheet(cli: Callable[..., Result]) -> str:
    result = cli("worksheet")
    assert result.code == 0, result.err
    return result.out


def test_every_step_of_the_classic_network_with_the_reference_numbers(sheet: str) -> None:
    steps = sections(sheet)
    assert sorted(steps) == list(range(1, 44))
    for number, expected in REFERENCE.items():
        assert full_value(steps[number]) == pytest.approx(expected, rel=1e-12, abs=1e-15), number
    # the chain, the formulas, the numbers and the result, as the step pane writes them
    w5 = steps[14]
    assert (
        r"$\frac{\partial L}{\partial w_{5}} = \frac{\partial L}{\partial o_{1}} \cdot "
        r"\frac{\partial o_{1}}{\partial l_{3}} \cdot \frac{\partial l_{3}}{\partial w_{5}}$"
    ) in w5
    assert r"$= (o_{1} - t_{1}) \cdot o_{1}(1 - o_{1}) \cdot h_{1}$" in w5
    assert r"$= 0.741365 \times 0.186816 \times 0.593270$" in w5
    assert "$= 0.082167$" in w5
    assert r"| $\frac{\partial o_{1}}{\partial l_{3}}$ | $o_{1}(1 - o_{1})$ | $0.186816$ |" in w5
    assert r"$= 0.15 \times 0.05 + 0.20 \times 0.10 + 0.35$" in steps[1]
    assert r"$h_{1} = \sigma(l_{1}) = 1/(1 + e^{-l_{1}})$" in steps[3]
    assert r"$L = ((o_{1} - t_{1})^{2} + (o_{2} - t_{2})^{2})/2$" in steps[9]
    assert r"via l3: $0.0553994$" in steps[20] and r"via l4: $-0.0190491$" in steps[20]
    assert (
        r"$w_{5} \leftarrow w_{5} - \mathrm{lr}\cdot\frac{\partial L}{\partial w_{5}}$" in steps[38]
    )
    assert r"$= 0.40 - 0.5 \times 0.082167$" in steps[38]
    # the title: the network and every given number
    head = sheet.split("## ")[0]
    for given in ("w_{1} = 0.15", "w_{8} = 0.55", "b_{1} = 0.35", "b_{4} = 0.60", "i_{2} = 0.10"):
        assert given in head
    assert "t_{1} = 0.01,\\ t_{2} = 0.99" in head and "\\mathrm{lr} = 0.50" in head
    assert "2-2-2" in head and "sigmoid" in head and "mse" in head
    # math only in $…$, balanced on every line
    assert all(line.count("$") % 2 == 0 for line in sheet.splitlines())


def test_the_student_version_holds_no_result_and_the_key_all_of_them(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    key = tmp_path / "key.md"
    result = cli("worksheet", "--blanks", "--answers", str(key))
    assert result.code == 0, result.err
    student, answers = result.out, key.read_text(encoding="utf-8")
    shown = {s.replace("−", "-") for s in SHOWN}
    full = {repr(v) for v in REFERENCE.values()}
    leaked = (shown | full) & numbers(student)
    assert not leaked, leaked
    assert not {repr(v) for v in REFERENCE.values()} & numbers(student)
    assert shown <= numbers(answers) and full - {"0.3925"} <= numbers(answers)
    # the same numbering, the formulas kept, the numbers blank
    assert sorted(sections(student)) == sorted(sections(answers)) == list(range(1, 44))
    s1 = sections(student)[1]
    assert r"$l_{1} = w_{1}\cdot i_{1} + w_{2}\cdot i_{2} + b_{1}$" in s1
    blank = r"\_\_\_\_"
    assert f"$= {blank} \\times {blank} + {blank} \\times {blank} + {blank}$" in s1
    assert f"$= 1/(1 + e^{{-{blank}}})$" in sections(student)[3]  # the formula's 1s stay
    assert "w_{1} = 0.15" in student  # the given numbers stay in the title
    assert "autograd" not in student
    assert answers.startswith("# Answer key: classic 2-2-2")


def test_latex_document_structure(cli: Callable[..., Result], tmp_path: Path) -> None:
    for args in ((), ("--blanks",)):
        result = cli("worksheet", "--format", "tex", *args)
        assert result.code == 0, result.err
        check_latex(result.out, cjk=False)
    full = cli("worksheet", "--format", "tex").out
    assert r"\frac{\partial L}{\partial w_{5}}" in full
    assert r"h_{1} &= \sigma(l_{1}) = 1/(1 + e^{-l_{1}})" in full
    assert r"&= 0.741365 \times 0.186816 \times 0.593270" in full
    assert r"\usepackage{amsmath}" in full
    zh = cli("--lang", "zh", "worksheet", "--format", "tex", "--blanks").out
    check_latex(zh, cjk=True)
    assert r"\begin{CJK}{UTF8}{gbsn}" in zh and "\\blank{}" in zh


def check_latex(doc: str, cjk: bool) -> None:
    """A complete document: \\documentclass … \\end{document}, braces and environments
    balanced and nested, no Unicode math (English: pure ASCII; Chinese: only CJK text)."""
    assert doc.startswith("\\documentclass")
    assert doc.rstrip().endswith("\\end{document}")
    depth = 0
    for ch in re.sub(r"\\[{}]", "", doc):
        depth += ch == "{"
        depth -= ch == "}"
        assert depth >= 0
    assert depth == 0
    stack: list[str] = []
    for kind, env in re.findall(r"\\(begin|end)\{([^}]+)\}", doc):
        if kind == "begin":
            stack.append(env)
        else:
            assert stack and stack.pop() == env, env
    assert not stack
    strange = {ch for ch in doc if not ch.isascii() and not (cjk and ord(ch) >= 0x2E80)}
    assert not strange, strange
    assert not cjk or any(ord(ch) >= 0x2E80 for ch in doc)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_latex_compiles_with_pdflatex(
    lang: str, cli: Callable[..., Result], tmp_path: Path
) -> None:
    import shutil
    import subprocess

    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base, -recommended)")
    if lang == "zh":
        found = subprocess.run(["kpsewhich", "CJKutf8.sty"], capture_output=True, text=True)
        if not found.stdout.strip():
            pytest.skip("CJKutf8.sty is not installed (Debian: texlive-lang-chinese)")
    for name, args in (("sheet", ()), ("student", ("--blanks",))):
        out = tmp_path / f"{name}.tex"
        assert cli("--lang", lang, "worksheet", "-o", str(out), *args).code == 0
        proc = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", out.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


BATCH = CLASSIC_TEXT.replace(
    "inputs = [0.05, 0.10]", "inputs = [[0.05, 0.10], [0.20, 0.30]]"
).replace("targets = [0.01, 0.99]", "targets = [[0.01, 0.99], [0.5, 0.5]]")


def test_a_batch_has_one_line_per_sample(
    cli: Callable[..., Result], write_spec: Callable[..., Path]
) -> None:
    out = cli("worksheet", "--spec", str(write_spec(BATCH)), "--steps", "l1,w1").out
    l1 = out.split("### ")[1]
    assert r"sample 1: $l_{1} = 0.15 \times 0.05 + 0.20 \times 0.10 + 0.35$" in l1
    assert r"sample 2: $l_{1} = 0.15 \times 0.20 + 0.20 \times 0.30 + 0.35$" in l1
    assert "$= 0.3775$" in l1 and "$= 0.44$" in l1  # 0.15·0.20 + 0.20·0.30 + 0.35
    assert "Sample 1: $i_{1} = 0.05" in out and "Sample 2: $i_{1} = 0.20" in out
    w1 = out.split("### ")[2]
    assert "sample 1: $" in w1 and "sample 2: $" in w1  # each sample's term of the sum
    student = cli("worksheet", "--spec", str(write_spec(BATCH)), "--steps", "l1", "--blanks").out
    assert "0.44" not in numbers(student) and "0.3775" not in numbers(student)


def selected(cli: Callable[..., Result], *args: str) -> list[int]:
    result = cli("worksheet", *args)
    assert result.code == 0, result.err
    return [int(n) for n in re.findall(r"^### Step (\d+) of 43", result.out, flags=re.M)]


def test_step_selection(cli: Callable[..., Result]) -> None:
    assert selected(cli, "--steps", "backward") == list(range(10, 32))
    assert selected(cli, "--steps", "w5,h1") == [3, 14, 20, 38]
    assert selected(cli, "--steps", "10-12,loss") == [9, 10, 11, 12]
    layer2 = [*range(5, 9), *range(10, 20), *range(38, 44)]
    assert selected(cli, "--layer", "2") == layer2
    assert selected(cli, "--layer", "2", "--steps", "update") == list(range(38, 44))
    out = cli("worksheet", "--steps", "w5").out
    assert "2 of the 43 steps, numbered as in the app." in out


BIG = """\
layers = [10, 12, 10]
activation = "tanh"
output_activation = "identity"
loss = "mse"
lr = 0.1
inputs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
targets = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
seed = 1
"""


def test_a_big_network_is_refused_until_steps_are_chosen(
    cli: Callable[..., Result], write_spec: Callable[..., Path], tmp_path: Path
) -> None:
    spec = str(write_spec(BIG))
    out = tmp_path / "big.md"
    result = cli("worksheet", "--spec", spec, "-o", str(out))
    assert_one_error_line(result, "623 steps", "--steps", "--layer")
    assert not out.exists()
    result = cli("worksheet", "--spec", spec, "--steps", "w5,h1", "-o", str(out))
    assert result.code == 0 and result.out == ""
    assert len(re.findall(r"^### ", out.read_text(encoding="utf-8"), flags=re.M)) == 4


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--answers", "{tmp}/key.md"), ["--answers", "--blanks"]),
        (("--steps", "w99"), ["--steps", "w99"]),
        (("--steps", "0-3"), ["--steps", "0-3"]),
        (("--steps", "w5,,h1"), ["--steps"]),
        (("--layer", "3"), ["--layer", "3"]),
        (("--format", "pdf"), ["pdf"]),
        (("-o", "{tmp}/missing/out.md"), ["missing"]),
        (("--blanks", "-o", "{tmp}/a.md", "--answers", "{tmp}/a.md"), ["same file"]),
        (("--example", "small-cnn"), ["per module"]),
        (("--blanks", "-o", "{tmp}/a.md", "--answers", "{tmp}"), ["directory"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    args: tuple[str, ...], needles: list[str], cli: Callable[..., Result], tmp_path: Path
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli("worksheet", *argv)
    assert_one_error_line(result, *needles)
    assert result.out == ""
    assert list(tmp_path.iterdir()) == []


def test_output_files_are_written_whole(cli: Callable[..., Result], tmp_path: Path) -> None:
    out, key = tmp_path / "sheet.tex", tmp_path / "key.tex"
    result = cli("worksheet", "--blanks", "-o", str(out), "--answers", str(key))
    assert result.code == 0 and result.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.tex", "sheet.tex"]  # no temp left
    assert out.read_text(encoding="utf-8").startswith("\\documentclass")  # -o X.tex: LaTeX
    assert key.read_text(encoding="utf-8") == cli("worksheet", "--format", "tex").out.replace(
        "Backpropagation worksheet: classic 2-2-2", "Answer key: classic 2-2-2"
    )
