"""The bptrace app: the traced network on its main screen, and the keys that open the rest —
lessons, examples, the module view, a model's head, help.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.spec import read_spec
from bptrace.tui.classroom import Classroom, served_why
from bptrace.tui.keys import TREE_KEYS, key_rows, palette_commands, translated
from bptrace.tui.screens.examples import ExamplesScreen
from bptrace.tui.screens.help import HelpScreen
from bptrace.tui.screens.trace_view import TraceScreen
from bptrace.tui.source import Source
from bptrace.tui.trace_app import READ_ONLY, ModelRef, TraceApp

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

LESSONS = {
    "activations": "ActivationsScreen",
    "losses": "LossesScreen",
    "chain": "ChainGraphScreen",
}


class BptraceApp(TraceApp):
    """The app-wide keys: lessons, training, examples, module and head views, help."""

    classroom: Classroom | None = None
    """The link to the teacher when the app is served to a class."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "a",
            "lesson('activations')",
            N_("Acts"),
            show=False,
            tooltip=N_("activation functions and their derivatives"),
        ),
        Binding(
            "l",
            "lesson('losses')",
            N_("Losses"),
            show=False,
            tooltip=N_("loss functions on worked examples"),
        ),
        Binding(
            "t",
            "training",
            N_("Train"),
            show=False,
            tooltip=N_("train N SGD steps, open the trace at any epoch"),
        ),
        Binding(
            "g",
            "lesson('chain')",
            N_("Graph"),
            show=False,
            tooltip=N_("the chain rule on the course's tiny grad_fn graph"),
        ),
        Binding("o", "examples", N_("Examples"), show=False, tooltip=N_("open a built-in example")),
        Binding(
            "v",
            "neurons",
            N_("Neurons"),
            show=False,
            tooltip=N_("per-neuron view of the model's Linear head (from the module view)"),
        ),
        Binding(
            "m",
            "modules",
            N_("Modules"),
            show=False,
            tooltip=N_("per-module view: shapes, statistics, gradient health"),
        ),
        Binding(
            "ctrl+s",
            "save_svg",
            N_("SVG"),
            tooltip=N_("save an SVG screenshot (in dialogs too)"),
            show=False,
            priority=True,
        ),
        Binding("j", "follow", N_("Follow"), tooltip=N_("in a class: follow the teacher, or stop")),
        Binding("question_mark", "help", N_("Help"), tooltip=N_("every key"), id="help"),
        Binding("q", "quit", N_("Quit"), tooltip=N_("quit"), id="quit"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Lessons, examples and the module view open from the main views only."""
        top = type(self.screen).__name__
        if action == "follow":
            return self.classroom is not None and self.classroom.student
        if action == "modules":
            return top == "TraceScreen"
        if action == "neurons":
            return top == "ModuleTraceScreen"
        if action in ("lesson", "training", "examples"):
            return top in ("TraceScreen", "ModuleTraceScreen")
        return True

    @work(thread=True, exclusive=True, group="modules")
    def action_modules(self) -> None:
        """Trace the source per module (torch, in a thread) and open the module screen."""
        self.call_from_thread(self.notify, _("tracing per module…"))
        try:
            tr = self.source.load_modules()
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))
        else:
            self.call_from_thread(self.show_modules, tr, back=True)

    @work(thread=True, exclusive=True, group="head")
    def action_neurons(self) -> None:
        """The per-neuron view of the model's Linear head (torch, in a thread)."""
        try:
            tr = self.source.load_head()
        except BptraceError as exc:
            self.post_message(self.TraceFailed(str(exc)))
        else:
            why = _("the head of a larger model is shown read-only")
            self.call_from_thread(self.show_trace, tr, tr.network.name or _("head"), why)

    def action_lesson(self, name: str) -> None:
        import importlib

        module = importlib.import_module(
            f"bptrace.tui.screens.{'chain_graph' if name == 'chain' else name}"
        )
        self.push_screen(getattr(module, LESSONS[name])())

    def action_training(self) -> None:
        from bptrace.tui.screens.training import TrainingScreen

        spec = self.main.spec  # the network on screen, as edited (None for a torch example)
        lr, biases = (spec.lr, spec.train_biases) if spec else (0.5, True)  # as on the main screen
        self.push_screen(
            TrainingScreen(lr=lr, train_biases=biases, open_trace=self.open_epoch, spec=spec)
        )

    def open_epoch(self, tr: Trace) -> None:
        """Show a trace made on the training screen in the full step-by-step view."""
        self.show_trace(tr, _("training"), _("a trace from the training screen is read-only"))

    def show_trace(self, tr: Trace, title: str, read_only: str) -> None:
        """Push a read-only step-by-step view of ``tr`` (escape goes back)."""
        screen = TraceScreen(title, read_only=read_only)
        self.push_screen(screen)
        self.call_after_refresh(setattr, screen, "trace", tr)

    def action_examples(self) -> None:
        def chosen(name: str | None) -> None:
            if name is not None:
                self.open(Source.of_example(name))

        self.push_screen(ExamplesScreen(), chosen)

    def on_mount(self) -> None:
        # TraceApp's on_mount (which traces the source) runs too: Textual calls each class's
        # handler in turn. Calling it from here as well had traced the source twice at start.
        self.classroom = Classroom.from_env(self)
        if self.classroom is not None:
            self.run_worker(self.classroom.run(), group="classroom")

    def action_follow(self) -> None:
        if self.classroom is not None:
            self.classroom.toggle()
        else:
            self.notify(_("following the teacher works in a class: `bptrace serve ssh`"))

    def action_save_svg(self) -> None:
        """Save the screen (a dialog too) as SVG and say where, as an absolute path."""
        from pathlib import Path

        if served_why():
            self.notify(str(served_why()), title=_("screenshots are off"), severity="warning")
            return
        self.notify(
            _("saved {path}").format(path=Path(self.save_screenshot()).resolve()),
            title=_("screenshot"),
            markup=False,  # the path may hold brackets
        )

    def action_help(self) -> None:
        bindings = [*self.screen_stack[-1].BINDINGS, *self.BINDINGS]
        if not (self.classroom and self.classroom.student):  # j only means something in a class
            bindings = [
                b for b in bindings if not (isinstance(b, Binding) and b.action == "follow")
            ]
        self.push_screen(HelpScreen(key_rows(bindings) + TREE_KEYS))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        served = served_why() is not None  # Textual's own "Screenshot" would write a file
        yield from translated(
            c for c in super().get_system_commands(screen) if not served or c.title != "Screenshot"
        )
        yield from palette_commands(self, screen)


def run(
    spec_path: str | None = None,
    trace: Any = None,
    title: str | None = None,
    example: str | None = None,
    read_only: str = READ_ONLY,
    model_ref: ModelRef | None = None,
    view: str | None = None,
    quiz: bool = False,
) -> int:
    """Open the app on a spec file (or the classic network), an example, a ready trace, or an
    exported JSON file (``view``, read behind a loading screen)."""
    spec = read_spec(spec_path) if spec_path else None
    title = title or spec_path or ""
    app = BptraceApp(
        spec=spec,
        trace=trace,
        title=title,
        example=example,
        read_only=read_only,
        model_ref=model_ref,
        path=view,
        quiz=quiz,
    )
    app.run()
    if app.failure is not None:
        raise BptraceError(app.failure)
    return 0
