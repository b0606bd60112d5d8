"""The quiz and the formula checker (k) in Chinese, at 80×24 and 100×30: Chinese prose, no
English word left but names, the same numbers as in English, and nothing that needs sideways
scrolling."""

from __future__ import annotations

import re

import pytest
from conftest import main, ready
from textual.pilot import Pilot

from bptrace.i18n import set_language
from bptrace.model.spec import CLASSIC_TEXT, parse_spec_text
from bptrace.tui.app import BptraceApp
from bptrace.tui.screens.check_formula import CheckScreen
from bptrace.tui.widgets.quiz_pane import QuizPane

SIZES = [(80, 24), (100, 30)]
# names, not prose: functions of a formula, the loss, the referee
NAMES = {"sigmoid", "exp", "log", "tanh", "relu", "sqrt", "abs", "loss", "autograd", "MSE", "Enter"}
NAMES |= {"ctrl", "Esc", "esc"}  # keys
NUMBER = re.compile(r"-?\d+\.\d+")


def english_words(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w∂])[A-Za-z]{2,}(?!\w)", text)) - NAMES


async def answer(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


async def quiz_texts(size: tuple[int, int], lang: str) -> tuple[list[str], int]:
    """The quiz pane's text after a wrong, a right and a wrong answer; its sideways scroll."""
    set_language(lang)
    try:
        app = BptraceApp(spec=parse_spec_text(CLASSIC_TEXT, "classic"), quiz=True)
        texts = []
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            pane = app.query_one(QuizPane)
            texts.append(pane.text)
            for given in ("1", "0.3775", "2"):
                await answer(pilot, given)
                texts.append(pane.text)
            return texts, pane.max_scroll_x
    finally:
        set_language("en")


@pytest.mark.parametrize("size", SIZES)
async def test_the_quiz_in_chinese(size: tuple[int, int]) -> None:
    en, en_scroll = await quiz_texts(size, "en")
    zh, zh_scroll = await quiz_texts(size, "zh")
    assert zh_scroll == en_scroll == 0
    for en_text, zh_text in zip(en, zh, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh_text), zh_text
        assert not english_words(zh_text), (english_words(zh_text), zh_text)
        assert NUMBER.findall(zh_text) == NUMBER.findall(en_text)


async def check_texts(size: tuple[int, int], lang: str) -> tuple[list[str], int]:
    """The checker's answers to a wrong, a right and a refused formula for ∂loss/∂w5."""
    set_language(lang)
    try:
        app = BptraceApp(spec=parse_spec_text(CLASSIC_TEXT, "classic"))
        texts = []
        async with app.run_test(size=size) as pilot:
            await ready(pilot)
            main(app).index = 13  # ∂loss/∂w5
            await pilot.pause()
            await pilot.press("k")
            screen = app.screen
            assert isinstance(screen, CheckScreen)
            for typed in ("(o1-t1)*o1*(1-o1)", "*h1", "*__import__('os')"):
                await pilot.press(*typed, "enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
                texts.append(screen.text)
            return texts, screen.query_one("#check-scroll").max_scroll_x
    finally:
        set_language("en")


@pytest.mark.parametrize("size", SIZES)
async def test_the_checker_in_chinese(size: tuple[int, int]) -> None:
    en, en_scroll = await check_texts(size, "en")
    zh, zh_scroll = await check_texts(size, "zh")
    assert zh_scroll == en_scroll == 0
    assert [t[0] for t in zh] == [t[0] for t in en] == ["✗", "✓", "✗"]
    for en_text, zh_text in zip(en, zh, strict=True):
        assert re.search(r"[\u4e00-\u9fff]", zh_text), zh_text
        assert not english_words(zh_text) - {"import", "os"}, (english_words(zh_text), zh_text)
        assert NUMBER.findall(zh_text) == NUMBER.findall(en_text)
