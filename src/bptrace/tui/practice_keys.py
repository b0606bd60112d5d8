"""The practice keys of the main screen: check your own formula for the current backward
step (k), and the matrix form of the current step's layer (w)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

PRACTICE_KEYS: list[BindingType] = [
    Binding(
        "k",
        "check_formula",
        N_("Check"),
        tooltip=N_("check your own formula for this backward step"),
        show=False,
    ),
    Binding(
        "w",
        "matrix",
        N_("Matrix"),
        tooltip=N_("the layer of this step in matrix form, with shapes"),
        show=False,
    ),
]


class PracticeKeys:
    """Actions for :data:`PRACTICE_KEYS`, mixed into a screen with ``trace`` and ``index``."""

    trace: Trace | None
    index: int

    def action_check_formula(self) -> None:
        from bptrace.tui.screens.check_formula import CheckScreen

        tr = self.trace
        if tr is None:
            self.notify(_("the trace is still loading"), severity="warning")  # type: ignore[attr-defined]
            return
        step = tr.steps[self.index]
        if step.phase != "backward":
            self.notify(  # type: ignore[attr-defined]
                _("the checker works on a backward step: press b, then k"), severity="warning"
            )
            return
        self.app.push_screen(CheckScreen(tr, step.node))  # type: ignore[attr-defined]

    def action_matrix(self) -> None:
        from bptrace.tui.screens.matrix_view import MatrixScreen

        tr = self.trace
        if tr is None:
            self.notify(_("the trace is still loading"), severity="warning")  # type: ignore[attr-defined]
            return
        node = tr.steps[self.index].node
        if node == "loss":
            node = tr.namer.post(tr.network.depth, 0)
        try:
            screen = MatrixScreen(tr, node)
        except BptraceError as exc:
            self.notify(str(exc), severity="warning", markup=False)  # type: ignore[attr-defined]
            return
        self.app.push_screen(screen)  # type: ignore[attr-defined]
