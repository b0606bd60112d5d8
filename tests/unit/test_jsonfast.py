"""The fast parser answers only when it gives the reference parser's very document."""

from __future__ import annotations

import pytest

from bptrace.model.jsonfast import has_long_integer, parse_fast
from bptrace.model.trace_checks import parse


@pytest.mark.parametrize(
    "text",
    [
        '{"a": [1, -0, 2.5, -0.00034686305381679774, 1e-05, "nan"], "b": {"c": null}}',
        '{"a": 1, "a": 2}',
        "[9223372036854775807, -9223372036854775808]",
        '"\\u00e9\\n"',
    ],
)
def test_the_same_document_as_the_reference(text: str) -> None:
    fast = parse_fast(text.encode())
    assert fast == parse(text, "t")
    assert repr(fast) == repr(parse(text, "t"))


@pytest.mark.parametrize(
    "text",
    [
        "[18446744073709551616]",  # 20 digits, over 64 bits: an int to the reference
        "[" + "9" * 25 + "]",
        "-" + "9" * 20,
        "[NaN]",
        "[1e400]",
        '["\\ud800"]',
        "[1,]",
        "[" * 1100 + "]" * 1100,
    ],
)
def test_left_to_the_reference(text: str) -> None:
    assert parse_fast(text.encode()) is None


def test_fraction_digits_are_not_an_integer() -> None:
    assert not has_long_integer(b"[-0.00034686305381679774, 1.5e-05]")
    assert has_long_integer(b"[1, 12345678901234567890]")
    assert has_long_integer(b"12345678901234567890")
    assert parse_fast(b"[-0.00034686305381679774]") == [-0.00034686305381679774]
