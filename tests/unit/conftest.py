"""Shared fixtures of the unit tests: the classic trace, a spec writer, and a CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

from bptrace.model.spec import CLASSIC_TEXT


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts in English whatever the machine's locale, and leaves English behind."""
    from bptrace.i18n import set_language

    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def classic_trace():  # type: ignore[no-untyped-def]
    """The classic 2-2-2 network traced with lr 0.5 (shared, read-only)."""
    import bptrace

    model, inputs, targets, loss_fn = bptrace.classic()
    return bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)


@pytest.fixture
def write_spec(tmp_path: Path) -> Callable[..., Path]:
    """Write a TOML spec into tmp_path; ``write_spec(text)`` or ``write_spec(text, "x.toml")``."""

    def write(text: str = CLASSIC_TEXT, name: str = "net.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run ``bptrace.cli.main(argv)`` in-process and capture its exit status and output."""
    from bptrace.cli import main

    def run(*argv: str) -> Result:
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse errors exit
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
