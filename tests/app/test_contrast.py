"""Every number on screen is readable: each text run holding a digit in the app's own SVG
screenshot has a WCAG contrast of at least 4.5:1 (AA) against the cell under it — in the
default dark theme, in the light theme and under NO_COLOR=1."""

from __future__ import annotations

import pytest
from conftest import classic_app, ready
from svg_contrast import digit_runs

SETTINGS = ["dark", "light", "NO_COLOR"]
# where to look: the backward step of ∂loss/∂w5 (gradients in the tree, the drawing, the
# selected row), a forward step, an update step, and the lessons
VIEWS = {
    "backward w5": ["n"] * 13,
    "forward l3": ["n"] * 4,
    "update w1": ["u"],
    "activations": ["a"],
    "losses": ["l"],
    "chain graph": ["g", "right", "right", "right"],
}


async def screenshot(
    setting: str, size: tuple[int, int], keys: list[str], monkeypatch: pytest.MonkeyPatch
) -> str:
    if setting == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made, as Textual does
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        if setting == "light":
            app.theme = "textual-light"
        await pilot.press(*keys)
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        return app.export_screenshot()


# the chain of ∂loss/∂w5 at both sizes; the other main views at 80×24, the lessons at 100×30
CASES = [("backward w5", (80, 24)), ("backward w5", (100, 30))]
CASES += [(view, (80, 24)) for view in ("forward l3", "update w1")]
CASES += [(view, (100, 30)) for view in ("activations", "losses", "chain graph")]


@pytest.mark.parametrize("setting", SETTINGS)
@pytest.mark.parametrize(("view", "size"), CASES, ids=[f"{v}-{w}x{h}" for v, (w, h) in CASES])
async def test_every_number_is_readable(
    setting: str, view: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = digit_runs(await screenshot(setting, size, VIEWS[view], monkeypatch))
    assert len(runs) > 5, "the screenshot holds numbers"
    low = [f"{r.ratio:.2f}:1 {r.text[:30]!r} {r.fg} on {r.bg}" for r in runs if r.ratio < 4.5]
    assert low == [], "\n".join(low)


def test_the_checker_sees_low_contrast() -> None:
    """The measure itself: grey on grey is caught, white on black is not."""
    svg = (
        "<style>.terminal-1-r1 { fill: #3b3b3b } .terminal-1-r2 { fill: #ffffff }</style>"
        '<rect fill="#272727" stroke="#000"/>'
        '<rect fill="#272727" x="0" y="0" width="100" height="25" shape-rendering="crispEdges"/>'
        '<text class="terminal-1-r1" x="0" y="20" textLength="50">0.138499</text>'
        '<text class="terminal-1-r2" x="50" y="20" textLength="50">0.741365</text>'
    )
    runs = digit_runs(svg)
    assert [(r.text, round(r.ratio, 2)) for r in runs] == [("0.138499", 1.33), ("0.741365", 14.94)]
