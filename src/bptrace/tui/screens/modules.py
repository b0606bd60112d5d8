"""The screen for a per-module trace (any ``nn.Module``): the module tree with gradient health
marks, a detail pane, the "gradient health" pane and the layer diagram; step through the
module-level forward, backward and update steps.

The screen gets a ready :class:`~bptrace.model.modules.ModuleTrace` (traced in the app's worker
or read from JSON); it imports neither torch nor, at module level, numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import Screen

from bptrace.i18n import N_, _
from bptrace.tui.module_items import LEGEND, Index, Item
from bptrace.tui.screens.help import HelpScreen
from bptrace.tui.widgets.footer import Footer
from bptrace.tui.widgets.health_pane import HealthPane
from bptrace.tui.widgets.layer_diagram import LayerDiagram
from bptrace.tui.widgets.module_detail import ModuleDetail
from bptrace.tui.widgets.module_step_bar import ModuleStepBar
from bptrace.tui.widgets.module_tree import ModuleTree

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleTrace

MODULE_KEYS = [  # translated by the help screen
    ("↑ / ↓", N_("move in the tree (jumps to the step of that node in the current phase)")),
    ("space", N_("open / close a module in the tree")),
    ("tab", N_("move focus: tree, health pane, detail, diagram")),
    ("enter", N_("in the health pane: go to the flagged node")),
    ("✗ ▲ ▼ ○", LEGEND),
]


class ModuleTraceScreen(Screen[None]):
    """One per-module trace; ``index`` is the current step."""

    DEFAULT_CSS = """
    ModuleTraceScreen #mt-main { height: 1fr; }
    ModuleTraceScreen #mt-left {
        width: 46%; min-width: 30; height: 100%; border-right: vkey $primary;
    }
    ModuleTraceScreen #mt-right { width: 1fr; height: 100%; }
    ModuleTraceScreen #mt-tree { height: 3fr; }
    ModuleTraceScreen #mt-health {
        height: 2fr; min-height: 4; border: none; border-top: hkey $primary; padding: 0;
    }
    ModuleTraceScreen #mt-detail { height: 3fr; padding: 0 1; }
    ModuleTraceScreen #mt-diagram {
        height: 2fr; min-height: 4; padding: 0 1; border-top: hkey $primary;
    }
    ModuleTraceScreen #layer-diagram-text { width: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "right,n", "step(1)", N_("Next"), tooltip=N_("next step"), key_display="→", id="mt-next"
        ),
        Binding(
            "left,p",
            "step(-1)",
            N_("Prev"),
            tooltip=N_("previous step"),
            key_display="←",
            id="mt-prev",
        ),
        Binding("home", "go(0)", N_("First"), tooltip=N_("first step"), show=False, id="mt-first"),
        Binding("end", "go(-1)", N_("Last"), tooltip=N_("last step"), show=False, id="mt-last"),
        Binding(
            "f", "phase('forward')", N_("Fwd"), tooltip=N_("first forward step"), id="mt-forward"
        ),
        Binding(
            "b", "phase('backward')", N_("Bwd"), tooltip=N_("first backward step"), id="mt-backward"
        ),
        Binding("u", "phase('update')", N_("Upd"), tooltip=N_("first update step"), id="mt-update"),
        Binding(
            "h",
            "health",
            N_("Health"),
            tooltip=N_("focus the gradient health pane"),
            id="mt-health",
        ),
        Binding("question_mark", "help", N_("Help"), tooltip=N_("keys and marks"), id="mt-help"),
        Binding(
            "escape", "back", N_("Back"), tooltip=N_("back to the previous screen"), id="mt-back"
        ),
    ]
    index: var[int] = var(0)
    """The current step (an index into ``trace.steps``)."""

    def __init__(self, trace: ModuleTrace, title: str, *, back: bool = False) -> None:
        """``back``: escape pops this screen (when the app has a screen to go back to)."""
        super().__init__()
        from bptrace.model.health import check

        self.trace = trace
        self.trace_title = title
        self.flags = check(trace)
        self.lookup = Index(trace, self.flags)
        self.back = back

    def compose(self) -> ComposeResult:
        yield ModuleStepBar(self.trace_title, id="mt-step")
        with Horizontal(id="mt-main"):
            with Vertical(id="mt-left"):
                yield ModuleTree(id="mt-tree")
                yield HealthPane(id="mt-health")
            with Vertical(id="mt-right"):
                yield ModuleDetail(id="mt-detail")
                yield LayerDiagram(id="mt-diagram")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(ModuleTree).load(self.lookup)
        self.query_one(HealthPane).load(self.flags)
        diagram = self.query_one(LayerDiagram)
        diagram.load(self.lookup)
        diagram.border_title = _("layer diagram: log bar and ‖∂loss/∂out‖, shape")
        self.query_one(ModuleTree).focus()
        self.show()

    def watch_index(self) -> None:
        self.show()

    def show(self, follow: bool = True) -> None:
        """Bring every pane to the current step; ``follow``: move the tree's cursor too."""
        steps = self.trace.steps
        step = steps[self.index] if steps else None
        self.query_one(ModuleStepBar).show_step(self.trace, step)
        self.query_one(LayerDiagram).show_step(step)
        if step is None:
            self.query_one(ModuleDetail).show(self.lookup, Item("module", ""))
            return
        item = self.lookup.item_of_step(step)
        if follow:
            self.query_one(ModuleTree).select(item)
            self.query_one(ModuleDetail).show(self.lookup, item, step)

    def choose(self, item: Item) -> None:
        """The person looks at ``item``: describe it, and go to its step in this phase."""
        steps = self.trace.steps
        phase = steps[self.index].phase if steps else "forward"
        target = self.lookup.step_of(item, phase)
        if target is not None and target != self.index:
            self.set_reactive(ModuleTraceScreen.index, target)
            self.show(follow=False)
        step = steps[self.index] if steps else None
        here = step if step is not None and self.lookup.item_of_step(step) == item else None
        self.query_one(ModuleDetail).show(self.lookup, item, here)

    # -- events -----------------------------------------------------------------------------
    @on(ModuleTree.NodeChosen)
    def node_chosen(self, event: ModuleTree.NodeChosen) -> None:
        self.choose(event.item)

    @on(HealthPane.FlagChosen)
    def flag_chosen(self, event: HealthPane.FlagChosen) -> None:
        item = self.lookup.item_of_flag(event.flag)
        self.query_one(ModuleTree).select(item)
        self.choose(item)

    # -- actions ----------------------------------------------------------------------------
    def action_step(self, delta: int) -> None:
        if self.trace.steps:
            self.index = max(0, min(self.index + delta, len(self.trace.steps) - 1))

    def action_go(self, where: int) -> None:
        if self.trace.steps:
            self.index = where % len(self.trace.steps)

    def action_phase(self, phase: str) -> None:
        start = next((s.index for s in self.trace.steps if s.phase == phase), None)
        if start is None:
            if phase == "update":
                message = _("this trace has no update phase (no learning rate)")
            else:
                message = _("this trace has no {phase} phase").format(phase=_(phase))
            self.notify(message, severity="warning")
        else:
            self.index = start

    def action_health(self) -> None:
        self.query_one(HealthPane).focus()

    def action_help(self) -> None:
        keys = [
            (b.key.replace("question_mark", "?").replace(",", " / "), b.tooltip or b.description)
            for b in self.BINDINGS
            if isinstance(b, Binding)
        ]
        self.app.push_screen(HelpScreen(keys + MODULE_KEYS))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape goes back only when the app pushed this screen over another one."""
        return self.back if action == "back" else True

    def action_back(self) -> None:
        self.dismiss(None)


def open_module_trace(
    app: App[Any], trace: ModuleTrace, title: str, *, back: bool = False
) -> ModuleTraceScreen:
    """Push a :class:`ModuleTraceScreen` for ``trace`` on ``app`` and return it.

    Call it on the app's thread (e.g. from the handler of a worker's "trace ready" message).
    ``back=True`` lets escape return to the screen below.
    """
    screen = ModuleTraceScreen(trace, title, back=back)
    app.push_screen(screen)
    return screen
