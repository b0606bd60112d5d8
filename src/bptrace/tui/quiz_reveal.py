"""The quiz's hiding, built on :mod:`bptrace.tui.reveal`: what step k reveals stays hidden
until the learner has answered step k. Pure (no textual)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from bptrace.tui.reveal import Reveal

NEVER = 1 << 62


class HiddenReveals(dict[str, Reveal]):
    """``reveals`` with whatever step ``index`` would show pushed out of reach, worked out per
    name when it is looked up (the reveals of a big network are themselves made on demand)."""

    def __init__(self, reveals: Mapping[str, Reveal], index: int):
        super().__init__()
        self.base, self.index = reveals, index

    def __missing__(self, name: str) -> Reveal:
        rev, index = self.base[name], self.index
        if index in (rev.value_at, rev.grad_at, rev.update_at):
            rev = replace(
                rev,
                value_at=NEVER if rev.value_at == index else rev.value_at,
                grad_at=NEVER if rev.grad_at == index else rev.grad_at,
                update_at=NEVER if rev.update_at == index else rev.update_at,
            )
        self[name] = rev
        return rev

    def get(self, name: str, default: Reveal | None = None) -> Reveal | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default


def hide_step(reveals: Mapping[str, Reveal], index: int) -> HiddenReveals:
    """``reveals`` with whatever step ``index`` would show pushed out of reach."""
    return HiddenReveals(reveals, index)
