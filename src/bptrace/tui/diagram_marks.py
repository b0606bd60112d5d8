"""What a step marks in the drawing: the neurons and edges it touches, and the neuron it
computes (a weight's or bias's step marks the neuron it feeds). Pure: names only."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace


def highlights(tr: Trace, step: Step) -> tuple[set[str], set[str]]:
    """The neuron names (inputs, h/o, loss) and weight names the step ``step`` touches."""
    namer, sizes = tr.namer, tr.network.sizes
    ref = namer.resolve(step.node)
    if ref is None:
        return set(), set()
    if ref.letter == "loss":
        return {"loss"} | {namer.post(len(sizes) - 1, r) for r in range(sizes[-1])}, set()
    if ref.letter == "w":
        return {namer.layer_input(ref.layer, ref.col), namer.post(ref.layer, ref.row)}, {step.node}
    if ref.letter in ("l", "b"):
        neuron = namer.post(ref.layer, ref.row)
        if step.phase != "forward":
            return {neuron}, set()
        edges = {namer.weight(ref.layer, ref.row, c) for c in range(sizes[ref.layer - 1])}
        inputs = {namer.layer_input(ref.layer, c) for c in range(sizes[ref.layer - 1])}
        return {neuron} | inputs, edges
    if ref.letter == "o" and step.phase == "backward":
        return {step.node, "loss"}, set()
    if ref.letter in ("h", "i") and step.phase == "backward":
        # a gradient flowing back into this neuron along every edge that leaves it
        k = ref.layer + 1
        edges = {namer.weight(k, r, ref.row) for r in range(sizes[k])}
        return {step.node} | {namer.post(k, r) for r in range(sizes[k])}, edges
    return {step.node}, set()


def main_node(tr: Trace, step: Step) -> str:
    """The neuron the step computes (a weight's or bias's step: the neuron it feeds)."""
    ref = tr.namer.resolve(step.node)
    if ref is None or ref.letter == "loss":
        return "loss"
    if ref.letter in ("l", "b", "w"):
        return tr.namer.post(ref.layer, ref.row)
    return step.node
