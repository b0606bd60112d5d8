"""The ``bptrace`` command line: the app, ``export``, ``explain`` and ``view``.

Bad input of any kind exits with status 2 and one line ``bptrace: error: ...`` on stderr.
Torch is imported only by the commands that trace a model (never by ``view``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from bptrace.check_cli import hide_help_formula, take_minus_formula, unhide_formula
from bptrace.cli_lang import add_lang_option, take_lang, use_language
from bptrace.cli_output import silence_stdout, text_console, user_prints_to_stderr, write_out
from bptrace.cli_worksheet import add_parser as add_worksheet_parser
from bptrace.cli_worksheet import cmd_worksheet
from bptrace.clisource import merge_sources, note_default_detail
from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.trace import MAX_EPOCHS
from bptrace.serve.command import add_serve, cmd_serve

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleTrace
    from bptrace.model.trace import Trace


class Parser(argparse.ArgumentParser):
    """argparse, but errors are one line: ``bptrace: error: ...`` and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(
            2,
            "bptrace: error: " + _("{message} (see bptrace --help)").format(message=message) + "\n",
        )


def _epochs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a whole number of epochs, got {text!r}").format(text=text)
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(_("must be >= 0, got {value}").format(value=value))
    if value > MAX_EPOCHS:  # a loss value per epoch is kept, and shown
        raise argparse.ArgumentTypeError(
            _("at most {max}, got {value}").format(max=f"{MAX_EPOCHS:,}", value=value)
        )
    return value


def _lr(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a number, got {text!r}").format(text=text)
        ) from None
    if not (value > 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(
            _("must be a positive number, got {text}").format(text=text)
        )
    return value


def _add_source(p: argparse.ArgumentParser, top: str = "") -> None:
    """The source options; ``top="top_"`` on the main parser (see ``clisource.py``)."""
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "--spec",
        dest=f"{top}spec",
        metavar="FILE",
        help=_("network spec (TOML); default: the classic 2-2-2 network"),
    )
    group.add_argument(
        "--example",
        dest=f"{top}example",
        metavar="NAME",
        help=_("a built-in example (see --list-examples)"),
    )
    group.add_argument(
        "--model",
        dest=f"{top}model",
        metavar="FILE.py:FUNCTION",
        help=_(
            "your own model: FUNCTION() returns (model, inputs, targets, loss_fn); "
            "this RUNS the Python file, as pytest would"
        ),
    )
    p.add_argument(
        "--state",
        dest=f"{top}state",
        metavar="FILE.pt",
        help=_("with --model: load this state dict (weights only)"),
    )
    p.add_argument(
        "--lr",
        dest=f"{top}lr",
        type=_lr,
        metavar="LR",
        help=_("with --model: also record one SGD step's update"),
    )


def build_parser() -> Parser:
    parser = Parser(
        prog="bptrace",
        description=_("Watch backpropagation happen, one chain-rule factor at a time."),
        epilog=_("With no command, opens the app on the classic 2-2-2 network (or --spec FILE)."),
    )
    parser.add_argument(
        "--version",
        action="version",
        version="bptrace 0.1.0",
        help=_("show program's version number and exit"),  # argparse's own is not translated
    )
    parser.add_argument(
        "--list-examples", action="store_true", help=_("list the built-in examples and exit")
    )
    _add_source(parser, top="top_")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("export", help=_("write the trace as JSON (stdout, or -o FILE)"))
    _add_source(p)
    p.add_argument(
        "--epochs",
        type=_epochs,
        default=0,
        metavar="N",
        help=_("also train N SGD steps and record the loss curve"),
    )
    p.add_argument(
        "--detail",
        choices=["scalars", "tensors"],
        default="auto",
        help=_(
            "per-scalar nodes and steps, or per-layer tensors only "
            "(default: scalars up to 10,000 numbers)"
        ),
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help=_("write here (atomically) instead of stdout")
    )
    p = sub.add_parser("explain", help=_("print the chain rule for ∂loss/∂NAME"))
    p.add_argument("name", metavar="NAME", help=_("a quantity: i1, w5, b3, l2, h1, o1, loss, ..."))
    p.add_argument(
        "--matrix",
        action="store_true",
        help=_("the layer holding NAME in matrix form, with shapes"),
    )
    _add_source(p)
    from bptrace.check_cli import add_parser as add_check

    add_check(sub, _add_source)
    p = sub.add_parser("quiz", help=_("the app with every step's value hidden until you answer it"))
    _add_source(p)
    p = sub.add_parser("view", help=_("open the app over an exported trace (read-only, no torch)"))
    p.add_argument("file", metavar="FILE.json")
    add_serve(sub)
    add_worksheet_parser(sub, _add_source)
    add_lang_option(parser)
    return parser


def _check_model_options(args: argparse.Namespace) -> None:
    if getattr(args, "model", None) is None:
        for option in ("state", "lr"):
            if getattr(args, option, None) is not None:
                raise BptraceError(
                    _("--{option} needs --model FILE.py:FUNCTION").format(option=option)
                )


def _refuse_empty_sources(args: argparse.Namespace) -> None:
    """``--spec ''`` (an unset shell variable) is bad input, not the classic network."""
    for option in ("spec", "model", "state"):
        if getattr(args, option, None) == "":
            raise BptraceError(_("--{option}: empty file name").format(option=option))
    if getattr(args, "example", None) == "":
        raise BptraceError(_("--example: empty example name (see --list-examples)"))


def load_trace_for(args: argparse.Namespace, epochs: int = 0) -> Trace | ModuleTrace:
    """Trace ``--model``, ``--spec``, ``--example`` or the classic network (and train if asked)."""
    from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text, read_spec
    from bptrace.tracer.api import trace_example_any, trace_file, trace_spec

    _check_model_options(args)
    if args.model:
        with user_prints_to_stderr():  # a print in the model file must not corrupt the JSON
            return trace_file(args.model, args.state, args.lr, epochs=epochs)

    progress = _progress_printer() if epochs >= 1000 and sys.stderr.isatty() else None
    try:
        if args.example:
            return trace_example_any(args.example, epochs, progress)
        spec = read_spec(args.spec) if args.spec else parse_spec_text(CLASSIC_TEXT, "classic")
        return trace_spec(spec, epochs, progress)
    finally:
        if progress is not None:
            sys.stderr.write("\r\033[K")


def _progress_printer() -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        sys.stderr.write(
            "\r"
            + _("training: {done}/{total} SGD steps ({percent}%)").format(
                done=done, total=total, percent=100 * done // total
            )
        )
        sys.stderr.flush()

    return show


def cmd_export(args: argparse.Namespace) -> int:
    from bptrace.model.jsonio import dumps
    from bptrace.model.outfile import check_target, write_atomic

    out = check_target(args.output) if args.output is not None else None
    if out is None and sys.stdout is None:
        raise BptraceError(_("stdout is closed: use -o FILE"))
    tr = load_trace_for(args, args.epochs)
    note_default_detail(tr, args.detail)
    text = dumps(tr, args.detail)
    if out is None:
        write_out(text, use_o=True)
    else:
        write_atomic(out, text)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from rich.text import Text

    from bptrace.explain import explain
    from bptrace.explain_modules import explain_module
    from bptrace.model.health import check
    from bptrace.model.modules import ModuleTrace

    tr = load_trace_for(args)
    console, text = text_console()  # rendered into text, written by write_out (one error line)
    if isinstance(tr, ModuleTrace):
        if args.matrix:
            raise BptraceError(
                _("--matrix is for MLPs (per-neuron names); this model is traced per module")
            )
        explain_module(tr, args.name, console)
        write_out(text.getvalue())
        return 0
    if args.matrix:
        from bptrace.model.matrix import layer_matrices, lines

        write_out("\n".join(lines(layer_matrices(tr, args.name), tr)) + "\n")
        return 0
    explain(tr, args.name, console)
    flags = check(tr)
    if flags:
        console.print("\n" + _("gradient health of this network:"))
        for flag in flags:
            console.print(Text(f"  {flag.line()}"))  # Text: a str would be read as markup
    write_out(text.getvalue())
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    from bptrace.model.files import check_readable

    if not args.file:  # an unset shell variable: not the current directory
        raise BptraceError(_("view: empty file name (give the trace's JSON file)"))
    check_readable(args.file)  # a missing file: one line at once, before any screen
    title = f"view {args.file}"
    if sys.stdin.isatty() and sys.stderr.isatty():  # a person at a terminal: a loading screen
        return run_app(view=args.file, title=title)  # at once; the file is read in a worker
    from bptrace.model.jsonio import load_trace  # no terminal (piped, CI): read it first

    return run_app(trace=load_trace(args.file), title=title)


def cmd_quiz(args: argparse.Namespace) -> int:
    return cmd_app(args, quiz=True)


def cmd_app(args: argparse.Namespace, quiz: bool = False) -> int:
    if getattr(args, "list_examples", False):
        from bptrace.model.catalog import describe_examples

        write_out(describe_examples() + "\n")
        return 0
    _check_model_options(args)
    if args.model:  # load and trace before the screen opens: a bad model is one line here
        why = _("{model} is your own Python code: change it there and run bptrace again").format(
            model=args.model
        )
        ref = (args.model, args.state, args.lr)  # the module and head views load it again
        return run_app(
            trace=load_trace_for(args), title=args.model, read_only=why, model_ref=ref, quiz=quiz
        )
    if args.example:
        from bptrace.model.catalog import EXAMPLES

        if args.example not in EXAMPLES:
            raise BptraceError(
                _("unknown example {name!r} (see --list-examples)").format(name=args.example)
            )
        return run_app(example=args.example, quiz=quiz)
    if args.spec:
        from bptrace.model.spec import read_spec

        read_spec(args.spec)  # refuse a bad spec before the screen opens
    return run_app(spec_path=args.spec, quiz=quiz)


def run_app(**kwargs: Any) -> int:
    try:
        from bptrace.tui.app import run  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise BptraceError(
            _("the app is not available in this build; try `bptrace explain w5`")
        ) from None
    return int(run(**kwargs))


def cmd_check(args: argparse.Namespace) -> int:
    from bptrace.check_cli import cmd_check as run_check

    return run_check(args)


def _cmd_worksheet(args: argparse.Namespace) -> int:
    from bptrace.model.outfile import check_target

    return cmd_worksheet(args, load_trace_for, check_target)


COMMANDS = {
    "export": cmd_export,
    "explain": cmd_explain,
    "view": cmd_view,
    "check": cmd_check,
    "quiz": cmd_quiz,
    "serve": cmd_serve,
    "worksheet": _cmd_worksheet,
    None: cmd_app,
}


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    from bptrace.model.quote import one_line

    try:
        use_language(None)
        argv, lang = take_lang(sys.argv[1:] if argv is None else argv)
        use_language(lang)
    except BptraceError as exc:
        print(f"bptrace: error: {one_line(str(exc), 300 - 16)}", file=sys.stderr)
        return 2
    parser = build_parser()
    argv, formula = hide_help_formula(argv)
    args, extra = parser.parse_known_args(argv)
    extra = unhide_formula(args, extra, formula)
    if extra and not take_minus_formula(args, extra, argv):
        parser.error(_("unrecognized arguments: %s") % " ".join(extra))
    try:
        merge_sources(args)
        _refuse_empty_sources(args)
        with warnings.catch_warnings():
            # overflow (1e300 × 1e300) is traced and flagged like NaN, not warned about
            warnings.simplefilter("ignore", RuntimeWarning)
            return COMMANDS[args.command](args)
    except BptraceError as exc:
        print(f"bptrace: error: {one_line(str(exc), 300 - 16)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bptrace: " + _("interrupted"), file=sys.stderr)
        return 130
    except BrokenPipeError:  # a closed pipe is quiet (see cli_output.py)
        silence_stdout()
        return 0
