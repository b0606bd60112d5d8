"""The lesson screens in Chinese: the same footer keys fit as in English at 80×24 and 100×30,
nothing needs more sideways scrolling than in English, Chinese is on screen, and every lesson
screen (activations with their notes, softmax, losses with their pairings, training, the
chain-rule graph) holds no English prose, only names, and the same numbers as in English."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fit_helpers import footer_keys, scrolling
from test_lesson_screens import LessonApp, screen_text, settle
from textual.screen import Screen

from bptrace.i18n import set_language
from bptrace.tui.screens.activations import ActivationsScreen
from bptrace.tui.screens.chain_graph import ChainGraphScreen
from bptrace.tui.screens.losses import LossesScreen
from bptrace.tui.screens.training import TrainingScreen

Lessons = dict[str, tuple[Callable[[], Screen[None]], list[str]]]  # name → (screen, keys)
SCREENS: Lessons = {
    "activations": (ActivationsScreen, []),
    "losses": (LossesScreen, []),
    "training": (lambda: TrainingScreen(epochs=300, train_biases=False), ["r"]),
}
# every lesson, at the places with the most prose: (screen, keys pressed)
PROSE: Lessons = {
    "sigmoid": (ActivationsScreen, []),
    "softmax": (ActivationsScreen, ["down"] * 4),
    "mse": (LossesScreen, []),
    "bce": (LossesScreen, ["down"] * 3),
    "chain-graph": (ChainGraphScreen, ["end"]),
}
# names, not prose: the optimiser, the network, the loss, the learning rate, log10, and a key
NAMES = {"SGD", "classic", "loss", "lr", "log", "esc"}
# ... and on the other lessons: activations, losses, torch's own names, functions of a formula
LESSON_NAMES = NAMES | {
    "sigmoid", "tanh", "relu", "softmax", "identity", "mse", "bce", "autograd", "linspace",
    "torch", "nn", "functional", "jacobian", "CrossEntropyLoss", "sum", "exp", "ln", "grad",
    "backward", "AccumulateGrad",
}  # fmt: skip


async def look(
    name: str, size: tuple[int, int], lang: str, screens: Lessons = SCREENS
) -> tuple[str, set[str], list[str]]:
    set_language(lang)
    try:
        make, keys = screens[name]
        app = LessonApp(make())
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for key in keys:
                await pilot.press(key)
            await settle(pilot)
            return screen_text(app), footer_keys(app), scrolling(app)
    finally:
        set_language("en")


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@pytest.mark.parametrize("name", sorted(SCREENS))
async def test_a_lesson_screen_fits_in_chinese_as_in_english(
    name: str, size: tuple[int, int]
) -> None:
    en_text, en_keys, en_scroll = await look(name, size, "en")
    zh_text, zh_keys, zh_scroll = await look(name, size, "zh")
    assert re.search(r"[\u4e00-\u9fff]", zh_text)
    assert zh_keys == en_keys and len(zh_keys) >= 4
    assert zh_scroll == en_scroll  # no widget needs more columns in Chinese


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_the_training_screen_in_chinese_holds_no_english_prose(
    size: tuple[int, int],
) -> None:
    en_text, _, _ = await look("training", size, "en")
    zh_text, _, _ = await look("training", size, "zh")
    words = set(re.findall(r"[A-Za-z]{2,}", zh_text)) - NAMES
    assert not words, words
    numbers = re.compile(r"\d+\.\d{6,}")  # the losses, written out by repr
    assert numbers.findall(zh_text) == numbers.findall(en_text)
    assert numbers.findall(zh_text)


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
@pytest.mark.parametrize("name", sorted(PROSE))
async def test_every_lesson_in_chinese_holds_no_english_prose(
    name: str, size: tuple[int, int]
) -> None:
    en_text, _, en_scroll = await look(name, size, "en", PROSE)
    zh_text, _, zh_scroll = await look(name, size, "zh", PROSE)
    assert re.search(r"[\u4e00-\u9fff]{4}", zh_text)
    words = set(re.findall(r"(?<![\w∂])[A-Za-z]{2,}(?!\w)", zh_text)) - LESSON_NAMES
    assert not words, words
    assert zh_scroll == en_scroll
    numbers = re.compile(r"−?\d+\.\d+")
    assert sorted(numbers.findall(zh_text)) == sorted(numbers.findall(en_text))
