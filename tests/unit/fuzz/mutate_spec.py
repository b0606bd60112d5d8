"""A seeded mutator of TOML network specs, for the spec fuzz test.

Starts from a few valid specs and changes one to three things: a key removed or added (an
unknown key, one with a newline or a terminal escape in it, a megabyte long), a value
replaced by another type, a huge or tiny number, a layer size from 0 to 2**62, arrays nested
1,000 deep, lists lengthened or shortened. The result is written as TOML text by a small
writer of our own (tomllib reads only).
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

BASES: list[dict[str, Any]] = [
    {
        "name": "classic 2-2-2",
        "layers": [2, 2, 2],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "loss": "mse",
        "lr": 0.5,
        "inputs": [0.05, 0.10],
        "targets": [0.01, 0.99],
        "weights": [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        "biases": [[0.35, 0.35], [0.60, 0.60]],
    },
    {
        "layers": [3, 2, 3],
        "activation": ["leaky_relu"],
        "negative_slope": 0.1,
        "output_activation": "identity",
        "loss": "cross_entropy",
        "inputs": [[0.5, -1.0, 2.0], [1.0, 2.0, 0.0]],
        "targets": [2, 0],
    },
    {
        "layers": [2, 3, 1],
        "activation": "tanh",
        "loss": "bce",
        "reduction": "sum",
        "train_biases": False,
        "inputs": [[0.5, -1.0], [1.0, 2.0]],
        "targets": [[1.0], [0.0]],
        "seed": 3,
    },
    {
        "layers": [2, 2],
        "output_activation": "softmax",
        "loss": "smooth_l1",
        "beta": 0.5,
        "inputs": [0.5, -1.0],
        "targets": [0.0, 1.0],
    },
]
WEIRD_KEYS = ["bogus", "a\nb", "esc\x1b[2Jkey", "k" * 200_000, "layers2", ""]


def _deep(n: int) -> Any:
    v: Any = [1.0]
    for _ in range(n):
        v = [v]
    return v


def _odd(rng: random.Random, old: Any) -> Any:
    choices: list[Any] = [
        "x",
        True,
        0,
        -1,
        1,
        2**62,
        10**6,
        1e300,
        -1e300,
        1e-320,
        float("inf"),
        float("nan"),
        [],
        [old],
        {"a": 1},
        [1, "x"],
        "relu",
        "softmax",
        "a\nb\x1b[2J",
        [1, 100_000, 100_000, 1],
        [1, 2**62, 1],
        [1, 3000, 3000, 1],
    ]
    if rng.random() < 0.04:
        return _deep(1200)
    return rng.choice(choices)


def mutate(rng: random.Random) -> str:
    """One mutated spec, as TOML text."""
    spec = copy.deepcopy(rng.choice(BASES))
    if rng.random() < 0.3:  # a valid spec with odd numbers: huge, tiny, overflowing
        _odd_number(rng, spec)
        return dump_toml(spec)
    for _ in range(rng.choice([1, 1, 2, 3])):
        action = rng.random()
        keys = list(spec)
        if action < 0.1 and keys:
            del spec[rng.choice(keys)]
        elif action < 0.2:
            spec[rng.choice(WEIRD_KEYS)] = 1
        elif action < 0.35:
            key = rng.choice(keys)
            old = spec[key]
            if isinstance(old, list) and old:
                spec[key] = old[:-1] if rng.random() < 0.5 else [*old, old[-1]]
            else:
                spec[key] = _odd(rng, old)
        elif action < 0.5 and isinstance(spec.get("layers"), list) and spec["layers"]:
            layers = list(spec["layers"])
            layers[rng.randrange(len(layers))] = rng.choice([0, 1, 3, 40, 2**62, -2])
            spec["layers"] = layers
        elif keys:
            key = rng.choice(keys)
            spec[key] = _odd(rng, spec[key])
    return dump_toml(spec)


def _odd_number(rng: random.Random, spec: dict[str, Any]) -> None:
    """Set one number of ``inputs`` or ``weights`` (or the lr) to an odd but valid value."""
    key = rng.choice([k for k in ("inputs", "weights", "lr", "inputs") if k in spec])
    value = rng.choice([1e300, -1e300, 1e154, 0.0, 5e-324, 1e-300, rng.uniform(-30, 30)])
    if key == "lr":
        spec["lr"] = abs(value) or 1e-300
        return
    place = spec[key]
    while isinstance(place, list) and place and isinstance(place[0], list):
        place = rng.choice(place)
    place[rng.randrange(len(place))] = value


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "nan"
        if v in (float("inf"), float("-inf")):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string is JSON-compatible for these values
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_value(x)}" for k, x in v.items()) + "}"
    # lists: iteratively, since a 1,200-deep list would overflow a recursive writer
    depth, inner = 0, v
    while isinstance(inner, list) and len(inner) == 1 and isinstance(inner[0], list):
        depth, inner = depth + 1, inner[0]
    if depth > 50:
        return "[" * depth + _value(inner) + "]" * depth
    return "[" + ", ".join(_value(x) for x in v) + "]"


def dump_toml(spec: dict[str, Any]) -> str:
    """``spec`` as TOML text (top-level keys only, values inline)."""
    return "".join(f"{json.dumps(k)} = {_value(v)}\n" for k, v in spec.items())
