"""Softmax on one sample: scores, outputs, the full Jacobian, and two backward passes."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.model.fmt import fmt
from bptrace.model.lesson import SOFTMAX_SUM_WHY, SoftmaxDemo


def short(x: float) -> str:
    """Four significant digits, so four columns fit in 80 columns: ``−4.703e-06``."""
    return "0" if x == 0 else f"{x:.4g}".replace("-", "−").replace("e−", "e-")


def _row(label: str, values: list[float], style: str = "") -> list[RenderableType]:
    cells: list[RenderableType] = [Text(label, style="bold")]
    cells.extend(Text(short(v), style=style) for v in values)
    return cells


class SoftmaxPanel(Static):
    """Renders a :class:`SoftmaxDemo` for sample ``sample`` (0-based)."""

    DEFAULT_CSS = """
    SoftmaxPanel {
        height: auto;
    }
    """

    def show(self, demo: SoftmaxDemo, sample: int) -> None:
        width = len(demo.scores[sample])
        k = demo.picked
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold")
        table.add_column(_("sample {n}").format(n=sample + 1), no_wrap=True)
        for j in range(width):
            table.add_column(f"x{j + 1}", justify="right", no_wrap=True)
        table.add_row(*_row(_("scores"), demo.scores[sample]))
        table.add_row(*_row("softmax", demo.outputs[sample], "green"))
        for i, row in enumerate(demo.jacobians[sample]):
            table.add_row(*_row(f"∂y{i + 1}/∂x", row))
        table.add_row(*_row("∂Σy/∂x", demo.sum_grad[sample], "red"))
        table.add_row(*_row(_("bwd y{k}").format(k=k + 1), demo.picked_grad[sample], "yellow"))
        total = sum(demo.outputs[sample])
        agree = demo.max_disagreement
        lines = Text.assemble(
            ("Σy = ", "bold"),
            fmt(total),
            "\n",
            (_("Jacobian, autograd vs y_i(δ_ij − y_j): "), "bold"),
            (_("max |diff| {diff} ").format(diff=f"{agree:.1e}"), ""),
            (
                _("✓ agree") if agree < 1e-12 else _("✗ disagree"),
                "green" if agree < 1e-12 else "red",
            ),
        )
        why = Text(_(SOFTMAX_SUM_WHY), style="italic")
        self.update(Group(table, lines, why))
