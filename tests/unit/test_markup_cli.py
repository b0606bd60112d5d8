"""``bptrace explain`` prints a model's own names as they are, never as Rich markup.

An ``nn.ModuleDict`` key can be any string; ``explain`` prints through a Rich Console, whose
``print(str)`` reads ``[/]`` as a closing tag (an error) and ``[b]x`` as a bold ``x``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bptrace_test_helpers import Result

MODEL = Path(__file__).parents[1] / "models" / "bracket_names.py"  # ModuleDict keys [b]x, [/]


@pytest.fixture
def model_ref() -> str:
    return f"{MODEL}:make"


@pytest.mark.parametrize("key", ["[/]", "[b]x"])
def test_explain_prints_module_dict_keys_as_they_are(
    cli: Callable[..., Result], model_ref: str, key: str
) -> None:
    result = cli("explain", f"parts.{key}", "--model", model_ref)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"parts.{key} in {model_ref} (Net, float32")
    assert any(line.startswith(f"call parts.{key} (") for line in lines)
    rows = [line.split()[0] for line in lines if line.startswith("  ")]
    assert f"parts.{key}.weight" in rows
    assert f"∂loss/∂parts.{key}.weight" in rows
    assert f"parts.{key}.bias" in rows
