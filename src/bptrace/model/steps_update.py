"""Update steps of an MLP trace: one SGD step per trainable parameter (``w ← w − lr·∂loss/∂w``).

A mixin of :class:`bptrace.model.steps.StepList` (``_update_<kind>(index, layer, position)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bptrace.model.fmt import fmt, fmt_signed
from bptrace.model.step import Step

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


class UpdateSteps:
    """Builds the update steps from the parameters' values, gradients and updated values."""

    tr: Trace

    def _update(self, index: int, node: str, value: float, grad: float, updated: float) -> Step:
        lr = float(self.tr.network.lr or 0.0)
        return Step(
            index,
            "update",
            node,
            f"{node} ← {node} − lr·∂loss/∂{node}",
            f"{fmt(value)} − {lr:g} × {fmt_signed(grad)}",
            updated,
        )

    def _update_weight(self, index: int, k: int, pos: int) -> Step:
        r, c = divmod(pos, self.tr.network.sizes[k - 1])
        w = self.tr.layers[k - 1].weight
        assert w.updated is not None
        return self._update(
            index,
            self.tr.namer.weight(k, r, c),
            float(w.value[r, c]),
            float(w.grad[r, c]),
            float(w.updated[r, c]),
        )

    def _update_bias(self, index: int, k: int, r: int) -> Step:
        b = self.tr.layers[k - 1].bias
        assert b is not None and b.updated is not None
        return self._update(
            index,
            self.tr.namer.bias(k, r),
            float(b.value[r]),
            float(b.grad[r]),
            float(b.updated[r]),
        )
