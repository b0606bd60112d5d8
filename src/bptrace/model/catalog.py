"""The names and one-line descriptions of the built-in examples (no torch needed to list them)."""

from __future__ import annotations

from bptrace.i18n import N_, _

EXAMPLES: dict[str, str] = {
    "classic": N_(
        "the course's 2-2-2 sigmoid network with MSE (Mazur's numbers), nn.Sequential, lr 0.5"
    ),
    "seed-functional": N_(
        "the course's first nn.Module form: two nn.Linear layers, torch.sigmoid called in forward"
    ),
    "seed-sequential": N_(
        "the course's second nn.Module form: nn.Sequential(Linear, Sigmoid) blocks"
    ),
    "small-cnn": N_(
        "a small CNN (conv, batch norm, in-place ReLU, pooling, dropout) on a fixed 1×8×8 image, traced per module"
    ),
    "deep-sigmoid": N_("a 10-layer sigmoid MLP whose early-layer gradients visibly vanish"),
    "dead-relu": N_("a ReLU MLP where most first-layer units are dead (output 0 for every sample)"),
    "chain-graph": N_(
        "the course's tiny graph x=1, w=0, b=0, fc2 = 2·σ(x·w − b) + 1: its grad_fn walked node by node (in the app)"
    ),
}
LESSON_EXAMPLES = {"chain-graph": "ChainGraphScreen"}
"""Examples that are a lesson screen of the app rather than a network to trace."""


def describe_examples() -> str:
    """The ``--list-examples`` text: one example per line."""
    width = max(len(name) for name in EXAMPLES)
    return "\n".join(f"{name.ljust(width)}  {_(text)}" for name, text in EXAMPLES.items())
