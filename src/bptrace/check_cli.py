"""``bptrace check NAME EXPR [source]`` and ``bptrace check --practice [ITEM [EXPR]]``.

Exit 0 when the formula is right, 1 when it is wrong (with a diagnosis), 2 for bad input
(a formula that is not allowed, an unknown name). The formula is parsed, never run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from bptrace.cli_output import write_out
from bptrace.i18n import _
from bptrace.model.errors import BptraceError

EXAMPLE = "bptrace check w5 '(o1 - t1)*o1*(1 - o1)*h1'"


def add_parser(
    sub: Any,
    add_source: Callable[[argparse.ArgumentParser], None],
) -> None:
    p = sub.add_parser(
        "check",
        help=_("judge your formula for ∂loss/∂NAME (exit 0 right, 1 wrong, 2 bad input)"),
        description=_(
            "Judge a formula for ∂loss/∂NAME written with the network's names "
            "(i1, t1, w5, b3, l3, h1, o1), numbers, + - * / ** and exp log sigmoid tanh relu "
            "sqrt abs. Example: {example}"
        ).format(example=EXAMPLE),
    )
    p.add_argument(
        "name", metavar="NAME", nargs="?", help=_("w5, b3, h1, i1, ... (or a practice item)")
    )
    p.add_argument("expr", metavar="EXPR", nargs="?", help=_("your formula for ∂loss/∂NAME"))
    p.add_argument(
        "--practice",
        action="store_true",
        help=_("the course's own mistakes as exercises: list them, show one (E1), or answer one"),
    )
    add_source(p)


def take_minus_formula(args: argparse.Namespace, extra: Sequence[str], argv: Sequence[str]) -> bool:
    """Take ``check w5 '-(t1-o1)*...'``'s formula, which argparse left over as an unknown option.

    Only one leftover, starting with a single ``-``, where check's EXPR would be (after NAME,
    EXPR not given) is taken; anything else stays an unrecognized argument.
    """
    if getattr(args, "command", None) != "check" or len(extra) != 1:
        return False
    formula = extra[0]
    name = getattr(args, "name", None)
    if args.expr is not None or name is None or formula[:1] != "-" or formula[:2] == "--":
        return False
    words = list(argv)  # ``check '-(...)' w5``: the formula is not after NAME
    if formula not in words or name not in words[: words.index(formula)]:
        return False
    args.expr = formula
    return True


HIDDEN = "\0formula"  # stands in for a formula starting with -h while argparse reads argv


def hide_help_formula(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """``check h1 '-h1*w5'``: argparse reads ``-h1*w5`` as ``-h`` (help, exit 0: "right").

    The first word after ``check`` that starts with ``-h`` and is not ``-h`` itself is
    replaced by a stand-in; :func:`unhide_formula` puts it back once argv is read.
    """
    words = list(argv)
    if "check" not in words:
        return words, None
    for k in range(words.index("check") + 1, len(words)):
        if words[k].startswith("-h") and words[k] != "-h":
            formula, words[k] = words[k], HIDDEN
            return words, formula
    return words, None


def unhide_formula(args: argparse.Namespace, extra: list[str], formula: str | None) -> list[str]:
    """Put back the formula :func:`hide_help_formula` hid, wherever argparse put it (in
    ``args``, or in the ``extra`` words it did not take, which are returned)."""
    if formula is None:
        return extra
    for key in ("name", "expr"):
        if getattr(args, key, None) == HIDDEN:
            setattr(args, key, formula)
    return [formula if word == HIDDEN else word for word in extra]


def cmd_check(args: argparse.Namespace) -> int:
    from bptrace.cli import load_trace_for
    from bptrace.model.trace import Trace

    if args.practice:
        return _practice(args)
    if args.name is None or args.expr is None:
        raise BptraceError(_("check needs NAME and EXPR, e.g. {example}").format(example=EXAMPLE))
    tr = load_trace_for(args)
    if not isinstance(tr, Trace):
        message = _("check works on MLPs (per-neuron names); this model is traced per module")
        raise BptraceError("; ".join([message, *filter(None, [tr.refusal])]))  # and why
    from bptrace.model.check import Judge
    from bptrace.model.expr import parse

    if args.name not in tr:
        raise BptraceError(
            _("unknown name {name!r} (this network has {names})").format(
                name=args.name, names=tr.describe_names()
            )
        )
    parse(args.expr, lambda n: n in tr)  # refuse a bad formula before any retracing
    judge = Judge(args.name, [tr])  # refuses a target before any retracing
    del judge
    from bptrace.tracer.perturb import versions

    verdict = Judge(args.name, versions(tr)).judge(args.expr)
    write_out("\n".join(verdict.lines()) + "\n")  # a closed pipe keeps the verdict's status
    return verdict.exit_code


def _practice(args: argparse.Namespace) -> int:
    from bptrace.model import practice

    if args.name is None:
        write_out("\n".join(practice.list_lines()) + "\n")
        return 0
    it = practice.item(args.name)
    if args.expr is None:
        write_out("\n".join(it.lines()) + "\n")
        return 0
    from bptrace.model.expr import parse
    from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
    from bptrace.tracer.api import trace_spec
    from bptrace.tracer.perturb import versions

    tr = trace_spec(parse_spec_text(CLASSIC_TEXT, "classic"))
    parse(args.expr, lambda n: n in tr)
    verdict = practice.judge_item(it.key, args.expr, versions(tr))
    write_out("\n".join(verdict.lines()) + "\n")  # a closed pipe keeps the verdict's status
    return verdict.exit_code
