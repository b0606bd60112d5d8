"""Odd input at the edges the earlier hunts left: file names the file system refuses, numbers
typed into the lessons' boxes that no float holds, text a megabyte long in a message."""

from __future__ import annotations

from pathlib import Path

import pytest
from bptrace_test_helpers import assert_one_error_line, run_subprocess

from bptrace.model.edit import parse_number
from bptrace.model.errors import BptraceError
from bptrace.model.lesson import parse_numbers
from bptrace.model.outfile import check_target, write_atomic

LONG_NAME = "x" * 300  # over NAME_MAX (255) of every common file system


@pytest.mark.parametrize("name", [LONG_NAME, f"{LONG_NAME}/a.json"], ids=["file", "directory"])
def test_a_name_too_long_is_refused_not_a_traceback(tmp_path: Path, name: str) -> None:
    with pytest.raises(BptraceError, match="cannot write") as info:
        check_target(tmp_path / name)
    assert len(str(info.value)) < 300, "the name is cut in the message"
    with pytest.raises(BptraceError, match="cannot write"):
        write_atomic(tmp_path / name, "{}")
    assert list(tmp_path.iterdir()) == []


def test_cli_output_with_a_name_too_long(tmp_path: Path) -> None:
    result = run_subprocess("worksheet", "-o", str(tmp_path / LONG_NAME))
    assert_one_error_line(result, "cannot write", "File name too long")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1" * 400, "an integer of about 400 digits is not a finite number"),
        ("[1, " + "9" * 400 + "]", "is not a finite number"),
        ("1" * 5000, "not a list of numbers"),  # over Python's 4300-digit int limit
        ("[" * 100_000, "not a list of numbers"),  # json's recursion limit
        ("[" * 5000 + "]" * 5000, "not a list of numbers"),
    ],
    ids=["400-digit-int", "in-a-list", "5000-digits", "unclosed-nesting", "deep-nesting"],
)
def test_lesson_numbers_no_float_holds_are_refused(text: str, words: str) -> None:
    with pytest.raises(BptraceError, match=words) as info:
        parse_numbers(text, "predictions")
    assert len(str(info.value)) < 200, "what was typed is cut in the message"


@pytest.mark.parametrize(
    "text", ["x" * 100_000, "9" * 100_000, "١" * 100_000], ids=["letters", "digits", "arabic"]
)
def test_a_megabyte_of_typed_text_gives_a_short_message(text: str) -> None:
    with pytest.raises(BptraceError) as info:
        parse_number(text)
    assert len(str(info.value)) < 200


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["-o", ""], "-o: empty file name"),
        (["--blanks", "--answers", ""], "--answers: empty file name"),
        (["--answers", ""], "--answers needs --blanks"),
    ],
    ids=["output", "answers", "answers-without-blanks"],
)
def test_worksheet_empty_file_names_are_refused(argv: list[str], words: str) -> None:
    """An empty -o or --answers was taken as none: the sheet went to stdout, no key written."""
    result = run_subprocess("worksheet", *argv)
    assert_one_error_line(result, words)
    assert result.out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["--authorized-keys", ""],
        ["--authorized-keys", "KEYS", "--teacher-keys", ""],
        ["--authorized-keys", "KEYS", "--host-key", ""],
        ["--authorized-keys", "DIR"],
    ],
    ids=["authorized-keys", "teacher-keys", "host-key", "a-directory"],
)
def test_serve_ssh_refuses_in_one_line(tmp_path: Path, argv: list[str]) -> None:
    """An empty key file name was read as '.' or as none (no teacher, the default host key),
    and every refusal came after asyncssh's CryptographyDeprecationWarning (three lines more)."""
    keys = tmp_path / "keys"
    keys.write_text("")
    paths = {"KEYS": str(keys), "DIR": str(tmp_path)}
    result = run_subprocess("serve", "ssh", "--port", "1", *[paths.get(a, a) for a in argv])
    assert_one_error_line(result)
    assert "empty file name" in result.err or "Is a directory" in result.err


def test_view_of_an_empty_file_name() -> None:
    """``bptrace view ''`` (an unset shell variable) said '.: is a directory'."""
    assert_one_error_line(run_subprocess("view", ""), "view: empty file name")
