"""The matrix form of the layer holding the current step's node (``explain NAME --matrix``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from bptrace.i18n import N_, _

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


class MatrixScreen(ModalScreen[None]):
    """The layer of ``name`` as matrices with shapes, each entry tied to its scalar step."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", N_("Close"))]

    def __init__(self, tr: Trace, name: str) -> None:
        super().__init__()
        from bptrace.model.matrix import layer_matrices, lines

        self.text = "\n".join(lines(layer_matrices(tr, name), tr))
        """What the screen shows, as plain text."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="matrix-box"):
            yield Static(_("(esc closes; ↑/↓ scroll)"), id="matrix-title")
            yield Static(Content(self.text), id="matrix-text")  # names the network: no markup

    def action_close(self) -> None:
        self.dismiss(None)
