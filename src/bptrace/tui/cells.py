"""Text laid out by terminal cells: Chinese characters take two, so ``len`` is not a width."""

from __future__ import annotations

from rich.cells import cell_len


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` cells: broken at spaces where it can, anywhere
    between two wide (CJK) characters, and inside a word only when the word alone is wider."""
    width = max(width, 2)
    lines: list[str] = []
    line = ""
    for word in _words(text):
        candidate = line + word
        if cell_len(candidate.rstrip()) <= width:
            line = candidate
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = word.lstrip()
        while cell_len(line) > width:  # a word wider than the line: cut it by cells
            cut = 0
            while cell_len(line[: cut + 1]) <= width:
                cut += 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def _words(text: str) -> list[str]:
    """Pieces that stay together: a word with the spaces before it, or one wide character."""
    out: list[str] = []
    current = ""
    for ch in text:
        wide = cell_len(ch) == 2
        if ch == " " and current and not current.endswith(" "):
            out.append(current)
            current = ch
        elif wide:
            if current:
                out.append(current)
            out.append(ch)
            current = ""
        else:
            current += ch
    if current:
        out.append(current)
    return out
