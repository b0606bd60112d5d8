"""The app in Chinese: the main view holds no English prose (names of quantities, of
activations and losses, numbers and keys stay), everything fits at 80×24 and 100×30 with
double-width characters, and a snapshot of the main view at 100×30."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import classic_app, header, pane, ready
from rich.cells import cell_len
from rich.console import Console
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from bptrace.i18n import set_language
from bptrace.tui.app import BptraceApp
from bptrace.tui.widgets.network_drawing import NetworkDrawing
from bptrace.tui.widgets.network_tree import NetworkTree

# Words that are names, not prose: the network's, the activations' and loss's, torch's, the
# module type (Linear) and the program's
ALLOWED = {
    "bptrace", "classic", "sigmoid", "mse", "mean", "loss", "lr", "autograd", "Linear",
}  # fmt: skip


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language("en")


def english_words(text: str) -> set[str]:
    words = set(re.findall(r"[A-Za-z]+\d*", text))
    return {w for w in words if not re.fullmatch(r"[a-z]\d*", w)} - ALLOWED


def footer_text(app: BptraceApp) -> str:
    return " ".join(f"{k.key_display} {k.description}" for k in app.screen.query(FooterKey))


def tree_text(app: BptraceApp) -> str:
    tree = app.query_one(NetworkTree)
    out = []
    stack = [tree.root]
    while stack:
        node = stack.pop()
        out.append(str(node.label))
        stack.extend(node.children)
    return "\n".join(out)


def main_view(app: BptraceApp) -> str:
    drawing = app.query_one(NetworkDrawing).text
    note = str(app.screen.query_one("#tree-note").render())
    return "\n".join([header(app), pane(app), drawing, tree_text(app), footer_text(app), note])


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_main_view_in_chinese_holds_no_english_prose(
    size: tuple[int, int], chinese: None
) -> None:
    app = classic_app()
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        seen = set()
        for keys in ([], ["n"] * 4, ["b"], ["n"] * 10, ["u"], ["end"]):
            for key in keys:
                await pilot.press(key)
            await pilot.pause()
            text = main_view(app)
            assert re.search(r"[\u4e00-\u9fff]", text)
            seen |= english_words(text)
        assert not seen, seen
        assert "前向" in footer_text(app) and "下一步" in footer_text(app)
        assert "第 43 / 43 步" in header(app)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_nothing_overlaps_or_is_cut(size: tuple[int, int], lang: str) -> None:
    set_language(lang)
    try:
        app = classic_app()
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            for keys in ([], ["n"] * 4, ["b"], ["n"] * 10, ["u"]):
                for key in keys:
                    await pilot.press(key)
                await pilot.pause()
                width = size[0]
                assert cell_len(header(app)) <= width
                keys_shown = list(app.screen.query(FooterKey))
                assert keys_shown and all(k.region.right <= width for k in keys_shown)
                for k in keys_shown:  # every key's text is whole inside its own cell
                    need = cell_len(f"{k.key_display} {k.description}".strip())
                    assert k.region.width >= need, (k.description, k.region)
                right = [k.region for k in keys_shown]
                assert all(a.right <= b.x for a, b in zip(right, right[1:], strict=False))
                drawing = app.query_one(NetworkDrawing)
                room = drawing.content_size.width
                assert all(cell_len(line) <= room for line in drawing.text.splitlines())
    finally:
        set_language("en")


async def test_help_screen_in_chinese(chinese: None) -> None:
    app = classic_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        console = Console(width=100, record=True, file=io.StringIO())
        for static in app.screen.query(Static):
            console.print(static.content)
        text = console.export_text()
        assert "按键" in text and "下一步" in text and "激活函数及其导数" in text


def test_main_view_in_chinese_100x30(snap_compare: Any, chinese: None) -> None:
    assert snap_compare(classic_app(), press=["n"] * 13, terminal_size=(100, 30), run_before=ready)
