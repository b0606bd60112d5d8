"""The shape of the network tree, worked out per group when asked, never built whole.

The tree has one group per part of the network (input, each Linear layer's weights, biases and
pre-activations, each activation, the loss), its leaves the scalar names. A group is named by
a key (``("weights", 2)``); :meth:`TreeLayout.children` says what is directly inside one, and
:meth:`TreeLayout.path` which groups lead to a name, both from the layer sizes alone. So the
widget makes tree nodes only for the groups that are open: a 784-256-128-10 network has
200,000 weights but no node for any of them until their group is opened. A list of more than
:data:`CHUNK` leaves is split into groups of :data:`CHUNK` (``w1 … w64``). No textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bptrace.i18n import _

if TYPE_CHECKING:
    from bptrace.model.trace import Trace

BIG = 6  # more neurons than this in a layer: weights grouped per neuron, collapsed
CHUNK = 64  # at most this many leaves in one group; longer lists are split into groups
Key = tuple[str | int, ...]
Leaves = tuple[int, Callable[[int], str]]  # how many, and the name of the i-th


@dataclass(frozen=True)
class Child:
    """One entry of a group: a sub-group (``key``) or a leaf (``name``)."""

    label: str
    key: Key | None = None
    name: str | None = None
    expand: bool = False


class TreeLayout:
    """Groups and leaves of the tree for ``tr``'s network."""

    def __init__(self, tr: Trace):
        self.net, self.namer = tr.network, tr.namer

    def big(self, k: int) -> bool:
        sizes = self.net.sizes
        return sizes[k] > BIG or sizes[k - 1] > BIG

    def top(self) -> list[Child]:
        """The groups directly under the root, as the tree opens."""
        net = self.net
        out = [Child(_("input"), ("input",), expand=True)]
        for k in range(1, net.depth + 1):
            n_in, n_out = net.sizes[k - 1], net.sizes[k]
            expand = not self.big(k) or k == 1
            out.append(Child(f"Linear {k}  ({n_in}→{n_out})", ("linear", k), expand=expand))
            out.append(Child(f"{net.activations[k - 1].name} {k}", ("act", k), expand=True))
        loss = net.loss
        out.append(Child(f"loss  ({loss.name}, {loss.reduction})", ("loss",), expand=True))
        return out

    def children(self, key: Key) -> list[Child]:
        """What is directly inside the group ``key``."""
        if len(key) >= 2 and key[-2] == "from":  # a chunk of a longer list
            parent, start = key[:-2], int(key[-1])
            count, name = self.leaves(parent) or (0, str)
            return [Child(name(i), name=name(i)) for i in range(start, min(count, start + CHUNK))]
        leaves = self.leaves(key)
        if leaves is not None:
            count, name = leaves
            if count <= CHUNK:
                return [Child(name(i), name=name(i)) for i in range(count)]
            return [
                Child(f"{name(s)} … {name(min(count, s + CHUNK) - 1)}", (*key, "from", s))
                for s in range(0, count, CHUNK)
            ]
        kind, k = key[0], int(key[1])
        if kind == "linear":
            big = self.big(k)
            out = [Child(_("weights"), ("weights", k), expand=not big)]
            if self.net.has_bias[k - 1]:
                out.append(Child(_("biases"), ("biases", k), expand=not big))
            return [*out, Child(_("pre-activations"), ("pre", k), expand=True)]
        if kind == "weights":  # a big layer: one group per neuron, the weights into it
            return [
                Child(_("into {name}").format(name=self.namer.pre(k, r)), ("into", k, r))
                for r in range(self.net.sizes[k])
            ]
        raise KeyError(key)

    def leaves(self, key: Key) -> Leaves | None:
        """The leaves of a group that holds only leaves (None for any other group)."""
        namer, sizes = self.namer, self.net.sizes
        kind = key[0]
        if kind == "input":
            return sizes[0], lambda c: f"i{c + 1}"
        if kind == "loss":
            n = namer.n_targets
            tail = ["loss", "lr"] if self.net.lr is not None else ["loss"]
            return n + len(tail), lambda j: namer.target(j) if j < n else tail[j - n]
        k = int(key[1])
        if kind == "weights" and not self.big(k):
            n_in = sizes[k - 1]
            return sizes[k] * n_in, lambda p: namer.weight(k, *divmod(p, n_in))
        if kind == "into":
            r = int(key[2])
            return sizes[k - 1], lambda c: namer.weight(k, r, c)
        if kind == "biases":
            return sizes[k], lambda r: namer.bias(k, r)
        if kind == "pre":
            return sizes[k], lambda r: namer.pre(k, r)
        if kind == "act":
            return sizes[k], lambda r: namer.post(k, r)
        return None

    def path(self, name: str) -> list[Key] | None:
        """The groups from the top down to the one holding the leaf ``name`` (None: no leaf)."""
        if name in ("loss", "lr"):
            n = self.namer.n_targets
            return self._within(("loss",), n + (name == "lr"))
        ref = self.namer.resolve(name)
        if ref is None:
            return None
        k = ref.layer
        if ref.letter == "i":
            return self._within(("input",), ref.row)
        if ref.letter == "t":
            return self._within(("loss",), ref.row)
        if ref.letter in "ho":
            return self._within(("act", k), ref.row)
        group: Key = ("pre", k) if ref.letter == "l" else ("biases", k)
        if ref.letter == "w":
            if self.big(k):
                return [("linear", k), ("weights", k), *self._within(("into", k, ref.row), ref.col)]
            group = ("weights", k)
            return [("linear", k), *self._within(group, ref.row * self.net.sizes[k - 1] + ref.col)]
        return [("linear", k), *self._within(group, ref.row)]

    def _within(self, group: Key, position: int) -> list[Key]:
        count, _ = self.leaves(group) or (0, str)
        if count <= CHUNK:
            return [group]
        return [group, (*group, "from", position // CHUNK * CHUNK)]
