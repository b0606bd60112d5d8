"""The backward walk over an autograd graph: one row per ``grad_fn`` node, and the current
node's local derivatives multiplied by the gradient arriving from above."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from bptrace.i18n import _
from bptrace.model.fmt import fmt
from bptrace.model.lesson import TORCH_RECIPROCAL, ChainGraph


class GraphWalk(Static):
    """Renders the walk of a :class:`ChainGraph` up to step ``index`` (0-based)."""

    DEFAULT_CSS = """
    GraphWalk {
        height: auto;
    }
    """

    def show(self, graph: ChainGraph, index: int) -> None:
        table = Table(box=None, padding=(0, 1), show_edge=False, header_style="bold underline")
        table.add_column("", no_wrap=True)
        table.add_column(_("grad_fn node"), no_wrap=True)
        table.add_column(_("makes"), no_wrap=True)
        table.add_column(_("∂fc2/∂it"), justify="right", no_wrap=True)
        for k, step in enumerate(graph.steps):
            done = k <= index
            mark = "▶" if k == index else ("✓" if done else " ")
            label = step.label.replace(_(TORCH_RECIPROCAL), "")
            table.add_row(
                mark,
                step.op,
                label,
                fmt(step.upstream) if done else "·",
                style="bold reverse" if k == index else ("" if done else "dim"),
            )
        self.update(Group(table, self._detail(graph, index)))

    def _detail(self, graph: ChainGraph, index: int) -> Text:
        step = graph.steps[index]
        text = Text()
        text.append(f"{step.op}: {step.label}\n", style="bold")
        if step.op == "AccumulateGrad":
            leaf = step.inputs[0]
            text.append(
                _("leaf {leaf}: {leaf}.grad = {value}").format(leaf=leaf, value=fmt(step.upstream)),
                style="green",
            )
            text.append(
                _("   (backward() gives {value})").format(value=fmt(graph.grads[leaf])) + "\n"
            )
            return text
        out = step.label.split(" =")[0]
        for name, formula, local, down in zip(
            step.inputs, step.local_formulas, step.locals_, step.downstream, strict=True
        ):
            if formula == "—":
                continue  # a constant: nothing flows into it
            text.append(f"∂fc2/∂{name} = ∂fc2/∂{out} · ∂{out}/∂{name} = {fmt(step.upstream)} × ")
            text.append(f"({formula} = {fmt(local)})", style="yellow")
            text.append(" = ")
            text.append(fmt(down), style="green")
            text.append("\n")
        return text
