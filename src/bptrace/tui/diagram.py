"""The network drawn as a diagram on a character grid: neurons in columns, edges between them.

Every layer is a column of neurons (``○ h1`` with its value and ``∂`` gradient under it); the
edges between two layers are drawn as one bus (``─┬─▶``: each neuron on the left feeds each
on the right), and the loss is the last column. The current step's neuron is ``◉`` (reversed),
the other neurons it touches ``●``, and its edges are heavy lines (``━┃``), so the marks read
the same without colour (arrow heads are ``►``/``◄``, which no font draws as an emoji). A
network too large for the pane shows the columns and rows around the current step, with ``…`` / ``⋮`` marks for what is off-screen.

Pure layout (Rich ``Text`` only, no Textual): :func:`draw` is what the widget shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.text import Text

from bptrace.i18n import _
from bptrace.model.fmt import fmt_value
from bptrace.tui.cells import wrap_cells
from bptrace.tui.diagram_marks import highlights, main_node
from bptrace.tui.reveal import NOT_YET, SAMPLES_SHOWN, Label, Reveal, label, stage

if TYPE_CHECKING:
    from bptrace.model.steps import Step
    from bptrace.model.trace import Trace

U, D, L, R = 1, 2, 4, 8
LIGHT = {
    U | D: "│", L | R: "─", D | R: "┌", D | L: "┐", U | R: "└", U | L: "┘", U | D | R: "├",
    U | D | L: "┤", D | L | R: "┬", U | L | R: "┴", U | D | L | R: "┼", L: "─", R: "─", U: "│",
    D: "│",
}  # fmt: skip
HEAVY = {
    U | D: "┃", L | R: "━", D | R: "┏", D | L: "┓", U | R: "┗", U | L: "┛", U | D | R: "┣",
    U | D | L: "┫", D | L | R: "┳", U | L | R: "┻", U | D | L | R: "╋", L: "━", R: "━", U: "┃",
    D: "┃",
}  # fmt: skip
MAIN, TOUCHED = "reverse bold", "bold"
__all__ = ["Picture", "draw", "highlights", "legend", "main_node"]


@dataclass
class Picture:
    """What :func:`draw` made: the styled text, its plain text, and what it left out."""

    text: Text
    plain: str
    shown: set[str] = field(default_factory=set)  # the neuron names on the drawing
    digits: int | None = None


class Canvas:
    """A grid of characters with a style each, and box-line directions to merge."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.chars = [[" "] * width for _ in range(height)]
        self.styles: list[list[str]] = [[""] * width for _ in range(height)]
        self.lines = [[0] * width for _ in range(height)]
        self.heavy = [[False] * width for _ in range(height)]

    def put(self, x: int, y: int, text: str, style: str = "") -> None:
        """``text`` from cell ``x`` on; a double-width character (Chinese) takes two cells,
        the second holding ``""`` so that each line still adds up to its width."""
        if not 0 <= y < self.height:
            return
        row = self.chars[y]
        for ch in text:
            wide = not ch.isascii() and cell_len(ch) == 2
            if x >= 0 and x + wide < self.width:
                self._clear_pair(row, x)  # both cells cleared first, then written
                if wide:
                    self._clear_pair(row, x + 1)
                    row[x + 1], self.styles[y][x + 1] = "", style
                row[x], self.styles[y][x] = ch, style
            x += 2 if wide else 1

    def _clear_pair(self, row: list[str], x: int) -> None:
        """Cell ``x`` is about to be written: a wide character it is half of loses its other
        half too (blanked), so no line ends up a cell short or long."""
        if row[x] == "" and x > 0:
            row[x - 1] = " "
        elif x + 1 < self.width and row[x + 1] == "":
            row[x + 1] = " "

    def line(self, x: int, y: int, dirs: int, heavy: bool = False) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            self.lines[y][x] |= dirs
            self.heavy[y][x] |= heavy

    def hline(self, x0: int, x1: int, y: int, heavy: bool = False, joins: int = 0) -> None:
        """A line over x0..x1; the end cell named by ``joins`` (L: x0, R: x1) only reaches
        towards the line (a junction on a bus), the other end runs to the cell's edge."""
        for x in range(x0, x1 + 1):
            dirs = L | R
            if x == x0 and joins == L:
                dirs = R
            if x == x1 and joins == R:
                dirs = L
            self.line(x, y, dirs, heavy)

    def vline(self, x: int, y0: int, y1: int, heavy: bool = False) -> None:
        for y in range(min(y0, y1), max(y0, y1) + 1):
            self.line(x, y, (U if y > min(y0, y1) else 0) | (D if y < max(y0, y1) else 0), heavy)

    def text(self) -> Text:
        out = Text(no_wrap=True, overflow="crop")
        for y in range(self.height):
            used = [x for x in range(self.width) if self.chars[y][x] != " " or self.lines[y][x]]
            for x in range(max(used, default=-1) + 1):
                ch, style = self.chars[y][x], self.styles[y][x]
                if self.lines[y][x] and ch == " ":
                    table = HEAVY if self.heavy[y][x] else LIGHT
                    ch, style = table[self.lines[y][x]], "bold" if self.heavy[y][x] else ""
                out.append(ch, style)
            if y < self.height - 1:
                out.append("\n")
        out.rstrip()
        return out


def _columns(tr: Trace) -> list[tuple[str, list[str]]]:
    net, namer = tr.network, tr.namer
    cols = [(_("input"), [f"i{c + 1}" for c in range(net.sizes[0])])]
    for k in range(1, net.depth + 1):
        names = [namer.post(k, r) for r in range(net.sizes[k])]
        cols.append((f"{net.activations[k - 1].name}", names))
    cols.append((net.loss.name, ["loss"]))
    return cols


def _edges(tr: Trace, k: int, hot_nodes: set[str], hot_edges: set[str]) -> set[tuple[str, str]]:
    """The marked edges (source, destination) into column ``k`` (the loss is the last)."""
    namer, sizes = tr.namer, tr.network.sizes
    if k > tr.network.depth:  # outputs → loss
        if "loss" not in hot_nodes:
            return set()
        return {(namer.post(k - 1, r), "loss") for r in range(sizes[-1])} & {
            (n, "loss") for n in hot_nodes
        }
    refs = (namer.resolve(w) for w in hot_edges)  # the few marked, not every weight of layer k
    return {
        (namer.layer_input(k, ref.col), namer.post(k, ref.row))
        for ref in refs
        if ref is not None and ref.letter == "w" and ref.layer == k
    }


def legend(tr: Trace, step: Step, digits: int | None, known: bool = True) -> list[str]:
    """The lines under the drawing: how to read it, the current step with its numbers (the
    second line; ``?`` when ``known`` is False: a quiz question), and the marks."""
    phase = step.phase
    head = {
        "forward": "▶ " + _("forward: values flow ─►"),
        "backward": "◀ " + _("backward: gradients flow ◄─"),
        "update": "↻ " + _("update: parameters take new values"),
    }[phase]
    node, value = step.node, fmt_value(step.value) if known else "?"
    if phase == "forward":
        now = f"◉ {node} = {value}"
    elif phase == "backward":
        now = f"◉ ∂loss/∂{node} = {value}"
    else:
        now = "↻ " + _("update {name}: {old} → new value {new}").format(
            name=node, old=fmt_value(tr[node].value), new=value
        )
    ref = tr.namer.resolve(node)
    if ref is not None and ref.letter == "w":
        src, dst = tr.namer.layer_input(ref.layer, ref.col), tr.namer.post(ref.layer, ref.row)
        now += "  " + _("(edge {name}: {source} → {target})").format(
            name=node, source=src, target=dst
        )
    elif ref is not None and ref.letter in ("l", "b"):
        now += "  " + _("(into {name})").format(name=tr.namer.post(ref.layer, ref.row))
    return [head, now, _("◉ current  ━ its edge  ∂ gradient  · not yet")] + (
        []
        if digits is None
        else [_("numbers to {digits} significant digits").format(digits=digits)]
    )


def _known(reveals: dict[str, Reveal], step: Step) -> bool:
    """Do ``reveals`` let step ``step`` show its own result (no: a quiz's open question)?"""
    rev = reveals.get(step.node)
    if rev is None:
        return True
    at = {"forward": rev.value_at, "backward": rev.grad_at, "update": rev.update_at}[step.phase]
    return at is None or at <= step.index


Memo = dict[tuple[str, int | None, int, tuple[bool, bool, bool]], Label]  # (name, digits,
# samples shown, the reveal points the step has crossed) → the neuron's label, per trace


def draw(
    tr: Trace,
    step: Step,
    reveals: dict[str, Reveal],
    width: int,
    height: int,
    memo: Memo | None = None,
) -> Picture:
    """The drawing of ``tr`` at ``step`` in at most ``width`` × ``height`` cells. ``memo``
    (kept by the caller for one trace and its reveals) holds the neuron labels made so far:
    a label changes only when the step crosses one of its reveal points."""
    width, height = max(width, 20), max(height, 6)
    hot_nodes, hot_edges = highlights(tr, step)
    main = main_node(tr, step)
    cols = _columns(tr)
    focus = next(i for i, (_, names) in enumerate(cols) if main in names)
    index = step.index

    samples = SAMPLES_SHOWN  # of a batch: fewer if the step's column is too wide (below)

    def label_of(name: str, digits: int | None) -> Label:
        rev = reveals[name]
        if memo is None:
            return label(tr, rev, index, digits, samples)
        key = (name, digits, samples, stage(rev, index))
        if key not in memo:
            memo[key] = label(tr, rev, index, digits, samples)
        return memo[key]

    def node_lines(name: str, digits: int | None) -> list[tuple[str, str]]:
        lab = label_of(name, digits)
        mark = "◉" if name == main else "●" if name in hot_nodes else "○"
        style = MAIN if name == main else TOUCHED if name in hot_nodes else ""
        lines = [(f"{mark} {name}", style), ("·" if lab.value == NOT_YET else lab.value, "")]
        if lab.grad is not None:
            grad = "∂ ·" if lab.grad == NOT_YET else f"∂{lab.grad}"
            lines.append((grad, "bold underline magenta" if lab.grad_known else "italic"))
        return lines

    reach = height // 3 + 2  # more neuron rows than a column can show (each takes ≥ 3 lines)

    def could_show(c: int) -> list[str]:
        """The neurons of column ``c`` its window can hold (see ``windows`` below), so a
        784-neuron column is measured by the few around the step, not all 784."""
        names = cols[c][1]
        if len(names) <= 2 * reach:
            return names
        anchors = [i for i, nm in enumerate(names) if nm == main or nm in hot_nodes]
        focus_names = cols[focus][1]
        frac = focus_names.index(main) / max(1, len(focus_names) - 1)
        anchor = anchors[0] if anchors else round(frac * (len(names) - 1))
        return [*names[max(0, anchor - reach) : anchor + reach], *names[-reach:]]

    def col_width(c: int, digits: int | None) -> int:
        title = cols[c][0]
        nodes = max(len(text) for n in could_show(c) for text, _ in node_lines(n, digits))
        return max(nodes, min(cell_len(title), 10))

    # widths: full digits if the whole network fits, else fewer, else a window of columns
    choice = None
    for digits, gap in ((None, 6), (4, 6), (3, 6), (3, 5)):
        widths = [col_width(c, digits) for c in range(len(cols))]
        if sum(widths) + gap * (len(cols) - 1) <= width:
            choice = (digits, gap, widths, 0, len(cols) - 1)
            break
    if choice is None:  # a window of columns around the step, each titled with its layer
        digits, gap = 3, 5
        cols = [
            (f"{title} {c}" if 0 < c < len(cols) - 1 else title, names)
            for c, (title, names) in enumerate(cols)
        ]
        for fewer in (SAMPLES_SHOWN, 2, 1, 0):  # the step's column must fit, with … marks
            samples = fewer  # (label_of reads it)
            widths = [col_width(c, digits) for c in range(len(cols))]
            if widths[focus] + 4 <= width:
                break
        # the edges into the node come from the left; backward, its gradient from the right
        lo = max(0, focus - 1)
        hi = min(len(cols) - 1, focus + 1) if step.phase == "backward" else focus

        def span(a: int, b: int) -> int:
            marks = (2 if a > 0 else 0) + (2 if b < len(cols) - 1 else 0)
            return sum(widths[a : b + 1]) + gap * (b - a) + marks

        grow = True
        while grow:
            grow = False
            for a, b in ((lo, hi + 1), (lo - 1, hi)):
                if a >= 0 and b < len(cols) and span(a, b) <= width:
                    lo, hi, grow = a, b, True
                    break
        while span(lo, hi) > width and hi > focus:  # too narrow even for three columns
            hi -= 1
        while span(lo, hi) > width and lo < focus:
            lo += 1
        choice = (digits, gap, widths, lo, hi)
    digits, gap, widths, lo, hi = choice

    lines = legend(tr, step, digits, _known(reveals, step))
    if len(lines) > 3:  # the digits note: on the first line if it fits there
        note = " · " + _("{digits} significant digits").format(digits=digits)
        if cell_len(lines[0] + note) <= width:
            lines = [lines[0] + note, *lines[1:3]]
    wrapped = [wrap_cells(line, width) for line in lines]
    lines_wrapped = [w for lines in wrapped for w in lines]
    bold = set(wrapped[1])
    # rows: a title line, the neurons, the legend
    node_h = 3
    room = height - 1 - len(lines_wrapped)
    tallest = max(len(cols[c][1]) for c in range(lo, hi + 1))
    slot = node_h + 1
    if tallest * slot - 1 > room:
        slot = node_h
    clipped = tallest * slot > room + (1 if slot > node_h else 0)
    visible = tallest if not clipped else max(1, (room - 2) // slot)
    top = 1 + (1 if clipped else 0)
    rows_used = top + visible * slot + (1 if clipped else 0)
    canvas = Canvas(width, rows_used)

    x = 0
    if lo > 0:
        canvas.put(0, top + 1, "…", "bold")
        x = 2
    xs: dict[int, int] = {}
    for c in range(lo, hi + 1):
        xs[c] = x
        x += widths[c] + gap
    # which rows of each column are shown
    windows: dict[int, tuple[int, int]] = {}
    for c in range(lo, hi + 1):
        names = cols[c][1]
        n = len(names)
        if n <= visible:
            windows[c] = (0, n)
            continue
        anchors = [i for i, nm in enumerate(names) if nm == main or nm in hot_nodes]
        focus_names = cols[focus][1]
        frac = focus_names.index(main) / max(1, len(focus_names) - 1)
        anchor = anchors[0] if anchors else round(frac * (n - 1))
        start = max(0, min(anchor - visible // 2, n - visible))
        windows[c] = (start, start + visible)
    pos: dict[str, int] = {}  # a neuron's name line
    shown: set[str] = set()
    for c in range(lo, hi + 1):
        title, names = cols[c]
        start, end = windows[c]
        offset = ((visible - (end - start)) * slot) // 2
        cut = (
            title
            if cell_len(title) <= widths[c]
            else set_cell_size(title, max(1, widths[c] - 1)) + "…"
        )
        canvas.put(xs[c], 0, cut, "underline")
        if start > 0:
            canvas.put(xs[c], top - 1, _("⋮ {count} more").format(count=start), "bold")
        if end < len(names):
            more = _("⋮ {count} more").format(count=len(names) - end)
            canvas.put(xs[c], rows_used - 1, more, "bold")
        for j, name in enumerate(names[start:end]):
            y = top + offset + j * slot
            pos[name] = y
            shown.add(name)
            for dy, (line, style) in enumerate(node_lines(name, digits)):
                if dy < node_h:
                    canvas.put(xs[c], y + dy, line, style)
    if hi < len(cols) - 1:
        canvas.put(x - gap + 1, top + 1, "…", "bold")
    backward = step.phase == "backward"
    for c in range(lo + 1, hi + 1):
        left, right = cols[c - 1][1], cols[c][1]
        bus = xs[c - 1] + widths[c - 1] + 2  # one space, one stub, then the bus
        hot = _edges(tr, c, hot_nodes, hot_edges)
        srcs = [n for n in left if n in pos]
        dsts = [n for n in right if n in pos]
        if not srcs or not dsts:
            continue
        ys = [pos[n] for n in srcs + dsts]
        canvas.vline(bus, min(ys), max(ys))
        for s in srcs:
            start = xs[c - 1] + len(node_lines(s, digits)[0][0]) + 1
            heavy = any(e[0] == s for e in hot)
            if backward:
                canvas.put(start, pos[s], "◄", "bold" if heavy else "")
                start += 1
            canvas.hline(start, bus, pos[s], heavy, joins=R)
        for d in dsts:
            heavy = any(e[1] == d for e in hot)
            canvas.hline(bus, xs[c] - 2, pos[d], heavy, joins=L)
            if not backward:
                canvas.put(xs[c] - 2, pos[d], "►", "bold" if heavy else "")
        for s, d in hot:
            if s in pos and d in pos:
                canvas.vline(bus, pos[s], pos[d], heavy=True)
    text = canvas.text()
    for line in lines_wrapped:
        text.append("\n")
        text.append(line, "bold" if line in bold else "italic")
    return Picture(text, text.plain, shown, digits)
