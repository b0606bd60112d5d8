"""A step change does a bounded amount of work: the tree marks stale only the lines whose
label crossed a reveal point, and the step text and drawing render a step once (a step seen
before, or rendered ahead after the last key, is only painted)."""

from __future__ import annotations

from conftest import classic_app, main, ready

from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree
from bptrace.tui.widgets.step_text import StepText


async def test_a_step_change_marks_only_the_labels_that_change() -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tree = app.query_one(NetworkTree)
        screen = main(app)
        tr = screen.trace
        assert tr is not None
        for _ in range(len(tr.steps) - 1):
            before = tree.lines_changed
            await pilot.press("n")
            await pilot.pause()
            # a step reveals one node's value, gradient or update (and, at the loss's
            # backward step, the output gradients it starts from): never the whole tree
            assert tree.lines_changed - before <= 4, screen.index
        assert screen.index == len(tr.steps) - 1
        assert 0 < tree.lines_changed <= 2 * len(tr.steps)
        before = tree.lines_changed
        await pilot.press("end")  # already there: nothing changes
        await pilot.pause()
        assert tree.lines_changed == before


async def test_a_step_seen_before_or_rendered_ahead_renders_nothing() -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        screen = main(app)
        text, drawing = app.query_one(StepText), app.query_one(NetworkDrawing)
        for _ in range(3):
            await pilot.press("n")
            await pilot.pause()
        await pilot.pause()  # step 5 is rendered ahead once step 4 is on screen
        for step in (4, 3, 4, 3, 4):  # ahead, then back and forth: both steps kept
            rendered = (text.rendered, drawing.rendered)
            screen.index = step  # shown at once (the watcher)
            drawing.render_line(0)
            text.render_line(0)
            assert (text.rendered, drawing.rendered) == rendered, step
            await pilot.pause()
            await pilot.pause()
        await pilot.pause()
        rendered = (text.rendered, drawing.rendered)
        screen.index = 20  # neither seen nor ahead: rendered once each
        drawing.render_line(0)
        text.render_line(0)
        assert (text.rendered, drawing.rendered) == (rendered[0] + 1, rendered[1] + 1)
