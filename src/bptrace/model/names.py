"""The names of every scalar quantity of an MLP (DESIGN.md): i, t, l, h, o, w, b, loss.

Pre-activations ``l`` and biases ``b`` are numbered across all layers; hidden activations
``h`` across the hidden layers; outputs ``o`` within the output layer; weights ``w`` layer by
layer in ``nn.Linear.weight`` (row-major) layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_NAME = re.compile(r"^(i|t|l|h|o|w|b)([1-9][0-9]*)$")


@dataclass(frozen=True)
class Ref:
    """Where a named scalar lives: its letter, layer (1-based; 0 for i/t) and position."""

    letter: str
    layer: int
    row: int
    col: int = 0


class Namer:
    """Maps between names and array positions for the layer sizes ``n0, n1, ..., nL``."""

    def __init__(self, sizes: tuple[int, ...], has_bias: tuple[bool, ...], n_targets: int):
        self.sizes = sizes
        self.has_bias = has_bias
        self.n_targets = n_targets
        self.depth = len(sizes) - 1
        self._neuron_offset = [0]
        self._weight_offset = [0]
        for k in range(1, self.depth + 1):
            self._neuron_offset.append(self._neuron_offset[-1] + sizes[k])
            self._weight_offset.append(self._weight_offset[-1] + sizes[k] * sizes[k - 1])

    # -- positions -> names ---------------------------------------------------------------
    def pre(self, layer: int, row: int) -> str:
        return f"l{self._neuron_offset[layer - 1] + row + 1}"

    def post(self, layer: int, row: int) -> str:
        if layer == self.depth:
            return f"o{row + 1}"
        return f"h{self._neuron_offset[layer - 1] + row + 1}"

    def weight(self, layer: int, row: int, col: int) -> str:
        return f"w{self._weight_offset[layer - 1] + row * self.sizes[layer - 1] + col + 1}"

    def bias(self, layer: int, row: int) -> str:
        return f"b{self._neuron_offset[layer - 1] + row + 1}"

    def layer_input(self, layer: int, col: int) -> str:
        """The name of the ``col``-th input of Linear layer ``layer``."""
        return f"i{col + 1}" if layer == 1 else self.post(layer - 1, col)

    @staticmethod
    def target(col: int) -> str:
        return f"t{col + 1}"

    # -- names -> positions ---------------------------------------------------------------
    def resolve(self, name: str) -> Ref | None:
        """The position of ``name``, or None if this network has no such quantity."""
        if name == "loss":
            return Ref("loss", 0, 0)
        m = _NAME.match(name)
        if not m:
            return None
        letter, idx = m.group(1), int(m.group(2)) - 1
        if letter == "i":
            return Ref("i", 0, idx) if idx < self.sizes[0] else None
        if letter == "t":
            return Ref("t", 0, idx) if idx < self.n_targets else None
        if letter == "o":
            return Ref("o", self.depth, idx) if idx < self.sizes[-1] else None
        if letter == "w":
            for k in range(1, self.depth + 1):
                if idx < self._weight_offset[k]:
                    rel = idx - self._weight_offset[k - 1]
                    return Ref("w", k, *divmod(rel, self.sizes[k - 1]))
            return None
        for k in range(1, self.depth + 1):
            if idx < self._neuron_offset[k]:
                row = idx - self._neuron_offset[k - 1]
                if letter == "h" and k == self.depth:
                    return None
                if letter == "b" and not self.has_bias[k - 1]:
                    return None
                return Ref(letter, k, row)
        return None

    def names(self) -> Iterator[str]:
        """Every name, in forward order: inputs, targets, then layer by layer, then loss."""
        yield from (f"i{c + 1}" for c in range(self.sizes[0]))
        yield from (self.target(c) for c in range(self.n_targets))
        for k in range(1, self.depth + 1):
            for r in range(self.sizes[k]):
                for c in range(self.sizes[k - 1]):
                    yield self.weight(k, r, c)
            if self.has_bias[k - 1]:
                yield from (self.bias(k, r) for r in range(self.sizes[k]))
            yield from (self.pre(k, r) for r in range(self.sizes[k]))
            yield from (self.post(k, r) for r in range(self.sizes[k]))
        yield "loss"
