"""The names and one-line descriptions of the built-in examples (no torch needed to list them)."""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "classic": "the seed's 2-2-2 sigmoid network with MSE (Mazur's numbers), nn.Sequential, lr 0.5",
    "seed-functional": "the seed's first nn.Module form: two nn.Linear layers, torch.sigmoid called in forward",
    "seed-sequential": "the seed's second nn.Module form: nn.Sequential(Linear, Sigmoid) blocks",
}


def describe_examples() -> str:
    """The ``--list-examples`` text: one example per line."""
    width = max(len(name) for name in EXAMPLES)
    return "\n".join(f"{name.ljust(width)}  {text}" for name, text in EXAMPLES.items())
