"""A loss on worked numbers: one row per element with its share of the loss and its gradient."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.model.fmt import fmt
from bptrace.model.lesson import LossDemo


class LossTable(Static):
    """Renders a :class:`LossDemo`: predictions, targets, contributions, ∂loss/∂prediction."""

    DEFAULT_CSS = """
    LossTable {
        height: auto;
    }
    """

    def show(self, demo: LossDemo) -> None:
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold underline")
        ce = demo.name == "cross_entropy"
        table.add_column(_("element"), no_wrap=True)
        table.add_column(_("logit z") if ce else _("pred ŷ"), justify="right", no_wrap=True)
        table.add_column(_("target y"), justify="right", no_wrap=True)
        table.add_column(_("share of loss"), justify="right", no_wrap=True)
        table.add_column("∂loss/∂z" if ce else "∂loss/∂ŷ", justify="right", no_wrap=True)
        many_rows = len(demo.predictions) > 1
        for n, row in enumerate(demo.predictions):
            for j, value in enumerate(row):
                label = (
                    f"[{n}, {j}]" if many_rows and len(row) > 1 else f"[{n if many_rows else j}]"
                )
                share = (
                    (fmt(demo.contributions[n][0]) if j == 0 else "")
                    if ce
                    else fmt(demo.contributions[n][j])
                )
                target = demo.targets[n][j]
                table.add_row(
                    label,
                    fmt(value),
                    (_("class ▶ 1") if target == 1 else "0")
                    if demo.indices is not None
                    else fmt(target),
                    share,
                    Text(fmt(demo.grads[n][j]), style="yellow"),
                )
        total = Text.assemble(
            ("loss = ", "bold"),
            (f"{demo.loss:.7f}", "bold green"),
            _("   (torch, float64: {value})").format(value=repr(demo.loss)),
        )
        self.update(Group(total, table))
