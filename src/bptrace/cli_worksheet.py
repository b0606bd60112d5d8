"""``bptrace worksheet``: the whole pass of a network as a handout, in Markdown or LaTeX.

``--blanks`` writes the student's version (every result and substituted number a blank) and
``--answers FILE`` the key, with the same numbering. Every check of the arguments happens before
anything is traced or written; ``-o`` and ``--answers`` are written atomically.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bptrace.cli_output import write_out
from bptrace.i18n import _
from bptrace.model.errors import BptraceError

FORMATS = ("md", "tex")


def add_parser(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    add_source: Callable[[argparse.ArgumentParser], None],
) -> None:
    """Register ``worksheet`` and its options."""
    p = sub.add_parser(
        "worksheet",
        help=_("write the forward, backward and update steps as a worksheet (Markdown or LaTeX)"),
    )
    add_source(p)
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help=_(
            "md: Markdown with $…$ math; tex: a LaTeX document (default: md, or tex for -o X.tex)"
        ),
    )
    p.add_argument(
        "--blanks",
        action="store_true",
        help=_("the student's version: every result and substituted number is a blank"),
    )
    p.add_argument(
        "--answers",
        metavar="FILE",
        help=_("with --blanks: also write the answer key, with the same numbering, to FILE"),
    )
    p.add_argument(
        "--steps",
        metavar="LIST",
        help=_("only these steps: phases, names or numbers, e.g. backward, or w5,h1, or 10-20"),
    )
    p.add_argument(
        "--layer", metavar="K", help=_("only the steps of Linear layer K (or K1,K2,...)")
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help=_("write here (atomically) instead of stdout")
    )


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    for path in (args.output, args.answers):
        if path and Path(path).suffix.lower() == ".tex":
            return "tex"
    return "md"


def cmd_worksheet(
    args: argparse.Namespace,
    load: Callable[[argparse.Namespace], object],
    check_writable: Callable[[str], Path],
) -> int:
    """Run ``bptrace worksheet``: exit 0, or raise BptraceError before writing anything."""
    from bptrace.i18n import language
    from bptrace.model.jsonio import write_atomic
    from bptrace.model.selection import select_steps
    from bptrace.model.trace import Trace
    from bptrace.model.worksheet import build_sheet
    from bptrace.model.worksheet_md import render_markdown
    from bptrace.model.worksheet_tex import render_latex

    if args.answers is not None and not args.blanks:
        raise BptraceError(_("--answers needs --blanks (without it the worksheet is the key)"))
    if args.answers == "":
        raise BptraceError(_("--answers: empty file name (give the file for the answer key)"))
    out = check_writable(args.output) if args.output is not None else None
    key = check_writable(args.answers) if args.answers is not None else None
    if out is not None and key is not None and out.resolve() == key.resolve():
        raise BptraceError(
            _("{path}: -o and --answers name the same file").format(path=args.answers)
        )
    fmt = _format(args)
    tr = load(args)
    if not isinstance(tr, Trace):
        raise BptraceError(
            _(
                "a worksheet writes the per-neuron steps of an MLP (Linear layers and "
                "activations); this model is traced per module: try bptrace explain or export"
            )
        )
    indices = select_steps(tr, args.steps, args.layer)
    render = render_latex if fmt == "tex" else render_markdown
    lang = language()
    sheet = render(build_sheet(tr, indices, blanks=args.blanks, language=lang))
    answers = (
        render(build_sheet(tr, indices, blanks=False, answer_key=True, language=lang))
        if key is not None
        else None
    )
    if out is None:
        write_out(sheet, use_o=True)
    else:
        write_atomic(out, sheet)
    if key is not None and answers is not None:
        write_atomic(key, answers)
    return 0
