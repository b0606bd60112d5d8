"""What is known at step k: when each named value, gradient and update appears.

Pure Python (no textual, no torch), so the rule "never show a gradient before backward has
computed it" is tested without a screen. A value computed forward appears at its forward
step; a gradient at its backward step; an updated parameter at its update step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bptrace.i18n import N_, _
from bptrace.model.fmt import fmt_sig_apart, fmt_value, fmt_value_sig

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

GIVEN = -1  # known from the start (inputs, targets, parameters)
NOT_YET = N_("not yet computed")
SAMPLES_SHOWN = 4  # a label shows the first few samples of a batch: ``[a, b, c, d, … 64 samples]``

# How the tree's labels shrink to fit its pane: (significant digits or None for all, the text
# for a gradient not computed yet, the arrow before an updated value or None to leave it out,
# how many samples of a batch are shown). Numbers are rounded, never cut; a label that does not
# fit even at the last level ends in "…" at the pane's edge (the step pane has it all).
LEVELS: list[tuple[int | None, str, str | None, int]] = [
    (None, NOT_YET, " → ", SAMPLES_SHOWN),
    (4, N_("not yet"), " → ", SAMPLES_SHOWN),
    (3, N_("not yet"), " → ", SAMPLES_SHOWN),
    (3, N_("not yet"), " →", SAMPLES_SHOWN),
    (3, N_("not yet"), None, SAMPLES_SHOWN),
    (3, N_("not yet"), None, 2),
    (3, N_("not yet"), None, 1),
    (3, N_("not yet"), None, 0),
]


@dataclass(frozen=True)
class Reveal:
    """The step indices at which ``name``'s value, gradient and update become known."""

    name: str
    value_at: int
    grad_at: int | None  # None: it has no gradient (targets) or none is shown (the loss)
    update_at: int | None

    def thresholds(self) -> set[int]:
        return {
            t for t in (self.value_at, self.grad_at, self.update_at) if t is not None and t >= 0
        }


class Reveals(dict[str, Reveal]):
    """Name → :class:`Reveal`, each worked out the first time it is looked up (three lookups
    in the step plan), so a network with a million weights costs nothing until a name is
    shown. At most :attr:`KEEP` are kept; iterating gives only those looked up so far."""

    KEEP = 4096

    def __init__(self, tr: Trace):
        super().__init__()
        self.trace = tr

    def __missing__(self, name: str) -> Reveal:
        if name == "lr":
            found = Reveal("lr", GIVEN, None, None)
        elif name not in self.trace:
            raise KeyError(name)
        else:
            steps = self.trace.steps
            forward = steps.index_of(name, "forward")
            no_grad = name[0] == "t" or name == "loss"
            backward = None if no_grad else steps.index_of(name, "backward")
            update = steps.index_of(name, "update")
            found = Reveal(name, GIVEN if forward is None else forward, backward, update)
        if len(self) >= self.KEEP:
            self.clear()
        self[name] = found
        return found


def reveals(tr: Trace) -> Reveals:
    """When each scalar name of the trace (and ``lr``) appears, looked up on demand."""
    return Reveals(tr)


@dataclass(frozen=True)
class Label:
    """A node label in pieces, so a widget can style each: ``w5 = 0.40 ∂ 0.082167 → 0.358916``."""

    name: str
    value: str
    grad: str | None  # None: no gradient part at all
    grad_known: bool
    updated: str | None

    @property
    def plain(self) -> str:
        text = f"{self.name} = {self.value}"
        if self.grad is not None:
            text += f" ∂ {self.grad}"
        if self.updated is not None:
            text += f" → {self.updated}"
        return text


def stage(reveal: Reveal, index: int) -> tuple[bool, bool, bool]:
    """Which of ``reveal``'s value, gradient and update are known at step ``index``: a label
    is the same at two steps of the same stage."""
    grad, update = reveal.grad_at, reveal.update_at
    return (
        index >= reveal.value_at,
        grad is not None and index >= grad,
        update is not None and index >= update,
    )


def label(
    tr: Trace, reveal: Reveal, index: int, digits: int | None = None, samples: int = SAMPLES_SHOWN
) -> Label:
    """The label of ``reveal.name`` when step ``index`` is the current step; numbers to
    ``digits`` significant digits (None: in full, as the step pane writes them); of a batch,
    the first ``samples`` samples (``[a, b, … 64 samples]``; none: ``[64 samples]``)."""
    name = reveal.name

    def num(value: float | list[float]) -> str:
        if isinstance(value, list) and len(value) > samples:  # the step pane has them all
            if not samples:
                return "[" + _("{n} samples").format(n=len(value)) + "]"
            head = fmt_value_sig(value[:samples], digits)
            return f"{head[:-1]}, … " + _("{n} samples").format(n=len(value)) + "]"
        return fmt_value_sig(value, digits)

    if name == "lr":
        return Label(name, num(tr.network.lr or 0.0), None, False, None)
    node = tr[name]
    value = num(node.value) if index >= reveal.value_at else NOT_YET
    grad: str | None = None
    known = False
    if reveal.grad_at is not None and node.grad is not None and index >= reveal.value_at:
        known = index >= reveal.grad_at
        grad = num(node.grad) if known else NOT_YET
    updated = None
    if reveal.update_at is not None and index >= reveal.update_at and node.updated is not None:
        old = node.value
        if digits is None or not isinstance(old, (int, float)):
            updated = fmt_value(node.updated)
        else:  # enough digits to show that it changed
            updated = fmt_sig_apart(node.updated, float(old), digits)
    return Label(name, value, grad, known, updated)
