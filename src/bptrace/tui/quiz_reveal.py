"""The quiz's hiding, built on :mod:`bptrace.tui.reveal`: what step k reveals stays hidden
until the learner has answered step k. Pure (no textual)."""

from __future__ import annotations

from dataclasses import replace

from bptrace.tui.reveal import Reveal

NEVER = 1 << 62


def hide_step(reveals: dict[str, Reveal], index: int) -> dict[str, Reveal]:
    """``reveals`` with whatever step ``index`` would show pushed out of reach."""

    def later(at: int | None) -> int | None:
        return NEVER if at == index else at

    out = {}
    for name, rev in reveals.items():
        if index in (rev.value_at, rev.grad_at, rev.update_at):
            rev = replace(
                rev,
                value_at=NEVER if rev.value_at == index else rev.value_at,
                grad_at=later(rev.grad_at),
                update_at=later(rev.update_at),
            )
        out[name] = rev
    return out
