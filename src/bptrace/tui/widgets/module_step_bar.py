"""The module screen's header: the title, model and loss, then the current step written out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.tui.module_items import PHASE_MARK, num

if TYPE_CHECKING:
    from bptrace.model.modules import ModuleStep, ModuleTrace


class ModuleStepBar(Static):
    """Two lines or so at the top; ``text`` holds what it shows, as plain text."""

    DEFAULT_CSS = """
    ModuleStepBar { height: auto; max-height: 4; background: $primary-darken-3; color: $text; padding: 0 1; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.text = f"bptrace · {title}"

    def show_step(self, tr: ModuleTrace, step: ModuleStep | None) -> None:
        """Show the header and ``step`` (None: the trace has no steps)."""
        m = tr.model
        parts = ["bptrace", self.title, m.type, f"{m.loss} {num(tr.loss)}"]
        if step is not None:
            parts.append(
                _("{phase} {number}/{total}").format(
                    phase=_(step.phase), number=step.index + 1, total=len(tr.steps)
                )
            )
        head = " · ".join(p for p in parts if p)
        body = _("no steps") if step is None else f"{PHASE_MARK[step.phase]} {step.text}"
        self.text = f"{head}\n{body}"
        self.update(Text.assemble((head, "bold"), "\n", body))
