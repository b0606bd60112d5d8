"""Forward, backward and update steps derived from a Trace's per-layer arrays.

:class:`StepList` lays the steps out (the plan: which kind of step, for which layer, how
many) and builds a step only when it is indexed, so large models cost nothing until a step is
wanted. The builders live in :mod:`~bptrace.model.steps_forward`,
:mod:`~bptrace.model.steps_backward` and :mod:`~bptrace.model.steps_update`; the step types in
:mod:`~bptrace.model.step`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

from bptrace.model.derived import Derived
from bptrace.model.step import MAX_SAMPLES_SHOWN, Factor, Step, Term
from bptrace.model.steps_backward import BackwardSteps, tolerances
from bptrace.model.steps_forward import ForwardSteps
from bptrace.model.steps_update import UpdateSteps

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

__all__ = ["MAX_SAMPLES_SHOWN", "Derived", "Factor", "Step", "StepList", "Term"]


class StepList(ForwardSteps, BackwardSteps, UpdateSteps, Sequence[Step]):
    """The steps of a trace, in order; each built on first access and kept."""

    def __init__(self, tr: Trace):
        self.tr = tr
        self.rtol, self.atol = tolerances(tr)
        net = tr.network
        sizes, depth = net.sizes, net.depth
        plan: list[tuple[str, str, int, int]] = []
        for k in range(1, depth + 1):
            plan += [("forward", "pre", k, sizes[k]), ("forward", "post", k, sizes[k])]
        plan.append(("forward", "loss", 0, 1))
        plan.append(("backward", "dpost", depth, sizes[depth]))
        for k in range(depth, 0, -1):
            plan.append(("backward", "dpre", k, sizes[k]))
            plan.append(("backward", "dweight", k, sizes[k] * sizes[k - 1]))
            if tr.layers[k - 1].bias is not None:
                plan.append(("backward", "dbias", k, sizes[k]))
            plan.append(("backward", "dpost" if k > 1 else "dinput", k - 1, sizes[k - 1]))
        if net.lr is not None:
            for k in range(1, depth + 1):
                layer = tr.layers[k - 1]
                if layer.weight.trainable:
                    plan.append(("update", "weight", k, sizes[k] * sizes[k - 1]))
                if layer.bias is not None and layer.bias.trainable:
                    plan.append(("update", "bias", k, sizes[k]))
        self.plan = [p for p in plan if p[3] > 0]
        self.offsets = list(np.cumsum([0] + [p[3] for p in self.plan]))
        self._cache: dict[int, Step] = {}

    def __len__(self) -> int:
        return int(self.offsets[-1])

    @overload
    def __getitem__(self, index: int) -> Step: ...
    @overload
    def __getitem__(self, index: slice) -> list[Step]: ...
    def __getitem__(self, index: int | slice) -> Step | list[Step]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._cache:
            self._cache[index] = self._build(index)
        return self._cache[index]

    def __iter__(self) -> Iterator[Step]:
        return (self[i] for i in range(len(self)))

    def phase_start(self, phase: str) -> int | None:
        """Index of the first step of ``phase``, or None if there is none."""
        for section, start in zip(self.plan, self.offsets, strict=False):
            if section[0] == phase:
                return int(start)
        return None

    def index_of(self, node: str, phase: str | None = None) -> int | None:
        """Index of the step that computes ``node`` (its first one, or the one in ``phase``)."""
        ref = self.tr.namer.resolve(node)
        if ref is None:
            return None
        kinds = {
            "l": ("pre", "dpre"),
            "h": ("post", "dpost"),
            "o": ("post", "dpost"),
            "w": ("dweight", "weight"),
            "b": ("dbias", "bias"),
            "i": ("dinput",),
            "loss": ("loss",),
        }.get(ref.letter, ())
        pos = (
            ref.row * self.tr.network.sizes[ref.layer - 1] + ref.col
            if ref.letter == "w"
            else ref.row
        )
        for (ph, kind, layer, _), start in zip(self.plan, self.offsets, strict=False):
            if (phase is None or ph == phase) and kind in kinds and layer == ref.layer:
                return int(start) + pos
        return None

    # -- building one step ------------------------------------------------------------------
    def _build(self, index: int) -> Step:
        section = int(np.searchsorted(self.offsets, index, side="right")) - 1
        phase, kind, layer, _ = self.plan[section]
        pos = index - int(self.offsets[section])
        builder = getattr(self, f"_{phase}_{kind}")
        step: Step = builder(index, layer, pos)
        return step
