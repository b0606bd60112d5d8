"""A worksheet as Markdown: headings, prose, math in ``$…$`` (rendered by GitHub, GitLab,
VS Code, Obsidian and other viewers with MathJax or KaTeX), the factors as a table.

A blank is ``\\_\\_\\_\\_`` inside the math: it renders as ``____``.
"""

from __future__ import annotations

import re

from bptrace.model.texmath import BLANK
from bptrace.model.worksheet_doc import Equation, Para, Sheet, SheetStep, Table

MD_BLANK = r"\_\_\_\_"
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def escape(prose: str) -> str:
    """Prose with Markdown's special characters escaped."""
    return _SPECIAL.sub(r"\\\1", prose)


def _math(latex: str, in_table: bool = False) -> str:
    body = latex.replace(BLANK, MD_BLANK)
    if in_table:
        body = body.replace("|", r"\vert ")
    return f"${body}$"


def para(p: Para, in_table: bool = False) -> str:
    """A paragraph: prose escaped, math in ``$…$``."""
    return "".join(
        escape(seg.value) if seg.kind == "text" else _math(seg.value, in_table) for seg in p
    )


def _equation(eq: Equation) -> str:
    label = f"{escape(eq.label)} " if eq.label else ""
    lhs = f"{eq.lhs} {eq.relation} " if eq.lhs else f"{eq.relation} "
    return label + _math(lhs + eq.rhs)


def _table(table: Table) -> list[str]:
    lines = [
        "| " + " | ".join(escape(h) for h in table.header) + " |",
        "|" + "|".join("---" for _ in table.header) + "|",
    ]
    for row in table.rows:
        lines.append("| " + " | ".join(para(cell, in_table=True) for cell in row) + " |")
    return lines


def _step(step: SheetStep) -> list[str]:
    out = [f"### {para(step.heading)}", ""]
    for eq in step.equations:
        out += [_equation(eq), ""]
    if step.table is not None:
        out += [*_table(step.table), ""]
    for note in step.notes:
        out += [para(note), ""]
    return out


def render_markdown(sheet: Sheet) -> str:
    """The whole worksheet as one Markdown document."""
    out = [f"# {escape(sheet.title)}", ""]
    for p in sheet.intro:
        out += [para(p), ""]
    for title, steps in sheet.sections:
        out += [f"## {escape(title)}", ""]
        for step in steps:
            out += _step(step)
    return "\n".join(out).rstrip("\n") + "\n"
