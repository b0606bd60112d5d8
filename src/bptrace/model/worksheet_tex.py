"""A worksheet as a complete LaTeX document (article, amsmath) that compiles with pdflatex.

Every formula is amsmath input (``\\frac{\\partial L}{\\partial w_{5}}``, ``\\sigma``,
subscripts); the English document is pure ASCII. The Chinese one uses the CJKutf8 package
(Debian's ``latex-cjk-chinese`` with its gbsn font), still with pdflatex. A blank is ``\\blank{}``, an
underline a few characters wide.
"""

from __future__ import annotations

from bptrace.model.texmath import BLANK
from bptrace.model.worksheet_doc import Equation, Para, Sheet, SheetStep, Table

_TEXT = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "_": r"\_",
    "%": r"\%",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "→": r"$\to$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "−": "-",
    "…": r"\ldots{}",
    "✓": r"$\checkmark$",
    "✗": r"$\times$",
    "∂": r"$\partial$",
    "σ": r"$\sigma$",
}


def escape(prose: str, cjk: bool = False) -> str:
    """Prose for LaTeX: special characters escaped; other non-ASCII as ``?`` unless Chinese."""
    out = []
    for ch in prose:
        if ch in _TEXT:
            out.append(_TEXT[ch])
        elif ch.isascii() or (cjk and ord(ch) >= 0x2E80):
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _math(latex: str) -> str:
    return latex.replace(BLANK, r"\blank{}")


def para(p: Para, cjk: bool = False) -> str:
    """A paragraph: prose escaped, math in ``$…$``."""
    return "".join(
        escape(seg.value, cjk) if seg.kind == "text" else f"${_math(seg.value)}$" for seg in p
    )


def _equation(eq: Equation, cjk: bool) -> str:
    label = f"\\text{{{escape(eq.label, cjk)}}}\\quad " if eq.label else ""
    return f"{label}{eq.lhs} &{eq.relation} {_math(eq.rhs)}"


def _table(table: Table, cjk: bool) -> list[str]:
    cols = "l" * (len(table.header) - 1) + "r"
    lines = [
        "\\begin{center}",
        f"\\begin{{tabular}}{{{cols}}}",
        " & ".join(escape(h, cjk) for h in table.header) + " \\\\",
        "\\hline",
    ]
    for row in table.rows:
        lines.append(" & ".join(para(cell, cjk) for cell in row) + " \\\\")
    lines += ["\\end{tabular}", "\\end{center}"]
    return lines


def _step(step: SheetStep, cjk: bool) -> list[str]:
    out = [f"\\subsection*{{{para(step.heading, cjk)}}}"]
    if step.equations:
        out.append("\\begin{align*}")
        eqs = [_equation(eq, cjk) for eq in step.equations]
        out += [line + " \\\\" for line in eqs[:-1]] + [eqs[-1]]
        out.append("\\end{align*}")
    if step.table is not None:
        out += _table(step.table, cjk)
    for note in step.notes:
        out += [para(note, cjk), ""]
    return out


PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath}
\usepackage{amssymb}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\newcommand{\blank}{\underline{\hspace{3em}}}
"""


def render_latex(sheet: Sheet) -> str:
    """The whole worksheet as one LaTeX document, ``\\documentclass`` to ``\\end{document}``."""
    cjk = sheet.language == "zh"
    out = [PREAMBLE.rstrip("\n")]
    if cjk:
        out.append("\\usepackage{CJKutf8}")
    out.append("\\begin{document}")
    if cjk:
        out.append("\\begin{CJK}{UTF8}{gbsn}")
    out += [f"\\section*{{{escape(sheet.title, cjk)}}}", ""]
    for p in sheet.intro:
        out += [para(p, cjk), ""]
    for title, steps in sheet.sections:
        out += [f"\\section*{{{escape(title, cjk)}}}", ""]
        for step in steps:
            out += _step(step, cjk)
    if cjk:
        out.append("\\end{CJK}")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"
