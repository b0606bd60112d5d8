"""Which steps a worksheet holds: ``--steps backward``, ``--steps w5,h1``, ``--steps 10-20``,
``--layer 2``; every step by default.

A name selects every step that computes it (its value, its gradient, its update); a phase every
step of that phase; a number or a range ``a-b`` the steps numbered so in the app. ``--layer K``
keeps the steps of Linear layer K (its pre-activations, activations, weights and biases).
Both together: the steps that both select.
"""

from __future__ import annotations

import re

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.trace import Trace

PHASES = ("forward", "backward", "update")
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _items(text: str, option: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise BptraceError(
            _("{option}: expected a comma-separated list, got {text!r}").format(
                option=option, text=text
            )
        )
    return items


def select_steps(tr: Trace, steps: str | None, layers: str | None) -> list[int]:
    """The indices of the selected steps, in order (each step once)."""
    total = len(tr.steps)
    chosen = set(range(total))
    if steps is not None:
        chosen &= _by_steps(tr, _items(steps, "--steps"))
    if layers is not None:
        chosen &= _by_layers(tr, _items(layers, "--layer"))
    return sorted(chosen)


def _by_steps(tr: Trace, items: list[str]) -> set[int]:
    total = len(tr.steps)
    out: set[int] = set()
    for item in items:
        if item in PHASES:
            start = tr.steps.phase_start(item)
            if start is not None:
                out |= {i for i in range(start, total) if _phase_at(tr, i) == item}
            continue
        m = _RANGE.match(item)
        if m:
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            if not 1 <= first <= last <= total:
                raise BptraceError(
                    _("--steps: {item} is not a range of steps within 1-{total}").format(
                        item=item, total=total
                    )
                )
            out |= set(range(first - 1, last))
            continue
        if item not in tr:
            raise BptraceError(
                _(
                    "--steps: {item!r} is neither a phase (forward, backward, update), "
                    "a step number nor a name of this network ({names})"
                ).format(item=item, names=tr.describe_names())
            )
        out |= {
            index
            for phase in PHASES
            if (index := tr.steps.index_of(item, phase)) is not None
            and tr.steps[index].node == item
        }
    return out


def _phase_at(tr: Trace, index: int) -> str:
    for (phase, _kind, _layer, count), start in zip(tr.steps.plan, tr.steps.offsets, strict=False):
        if start <= index < start + count:
            return phase
    return ""


def _by_layers(tr: Trace, items: list[str]) -> set[int]:
    depth = tr.network.depth
    wanted: set[int] = set()
    for item in items:
        if not item.isdigit() or not 1 <= int(item) <= depth:
            raise BptraceError(
                _("--layer: expected a layer number from 1 to {depth}, got {item!r}").format(
                    depth=depth, item=item
                )
            )
        wanted.add(int(item))
    out: set[int] = set()
    for (_phase, kind, layer, count), start in zip(tr.steps.plan, tr.steps.offsets, strict=False):
        # a section's "layer" is the layer whose quantities it computes (dpost k-1 belongs to
        # layer k-1's activations; dinput to the inputs, which no layer owns)
        if kind != "loss" and kind != "dinput" and layer in wanted:
            out |= set(range(int(start), int(start) + count))
    return out
