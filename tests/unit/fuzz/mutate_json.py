"""A seeded mutator of exported trace documents (JSON), for the trace-file fuzz test.

Each mutation picks one place in the document (more often in ``network``, ``tensors`` and
``training``, the parts the app reads) and does one thing to it: deletes it, replaces it with
an odd value (null, a string, a huge or negative number, an empty list, a 1,000-deep list, a
string holding terminal escapes), lengthens or shortens a list, swaps it with another value of
the document, or flips an enum to another allowed name. Some values cannot be written by
``json.dumps`` (1e400, a 5,000-digit integer): they are spliced into the text afterwards.
"""

from __future__ import annotations

import copy
import json
import random
from typing import Any

Path = tuple[Any, ...]
HOT = ("network", "tensors", "training", "warnings", "format", "version", "detail")
ENUMS = {
    "target_kind": ["values", "indices", "probabilities"],
    "name": ["sigmoid", "tanh", "relu", "softmax", "identity", "mse", "bce", "cross_entropy"],
    "reduction": ["mean", "sum"],
    "dtype": ["float64", "float32"],
    "detail": ["scalars", "tensors"],
    "phase": ["forward", "backward", "update"],
}
RAW = {  # placeholders replaced in the text: values json.dumps cannot write
    "@@HUGEFLOAT@@": "1e400",
    "@@NEGHUGE@@": "-1e400",
    "@@DIGITS309@@": "1" + "0" * 309,
    "@@DIGITS5000@@": "9" * 5000,
    "@@NANLIT@@": "NaN",
    "@@DEEP@@": "[" * 1200 + "1.0" + "]" * 1200,
}


def paths(doc: Any, prefix: Path = ()) -> list[Path]:
    """Every place in ``doc`` (dict keys and list indices), depth first."""
    out: list[Path] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((*prefix, k))
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:4]):  # a few items of each list are enough
            out.append((*prefix, i))
            out.extend(paths(v, (*prefix, i)))
    return out


def _get(doc: Any, path: Path) -> Any:
    for p in path:
        doc = doc[p]  # raises KeyError, IndexError or TypeError once an earlier change moved it
    return doc


def _odd(rng: random.Random, old: Any) -> Any:
    choices: list[Any] = [
        None,
        "x",
        "nan",
        "inf",
        True,
        0,
        -1,
        2**62,
        1e308,
        -1e308,
        0.5,
        [],
        {},
        [old],
        "@@HUGEFLOAT@@",
        "@@NEGHUGE@@",
        "@@DIGITS309@@",
        "@@DIGITS5000@@",
        "@@NANLIT@@",
        "a\nb\x1b[2J" + "k" * rng.choice([1, 5000]),
        "[bold]x[/]",
    ]
    if rng.random() < 0.05:
        return "@@DEEP@@"
    return rng.choice(choices)


def mutate(doc: dict[str, Any], rng: random.Random) -> str:
    """One mutated copy of ``doc``, as JSON text."""
    doc = copy.deepcopy(doc)
    every = paths(doc)
    hot = [p for p in every if p[0] in HOT]
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        path = rng.choice(hot if hot and rng.random() < 0.85 else every)
        try:
            parent, key = _get(doc, path[:-1]), path[-1]
            old = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        if not isinstance(parent, (dict, list)):
            continue
        action = rng.random()
        if action < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.3 and isinstance(old, list) and old:
            if rng.random() < 0.5:
                parent[key] = old[:-1]
            else:
                parent[key] = [*old, copy.deepcopy(old[-1])]
        elif action < 0.4:
            try:
                other = _get(doc, rng.choice(every))
            except (KeyError, IndexError, TypeError):
                continue
            parent[key] = copy.deepcopy(other) if other is not doc else None
        elif action < 0.5 and isinstance(key, str) and key in ENUMS:
            parent[key] = rng.choice(ENUMS[key])
        elif action < 0.55 and isinstance(old, bool):
            parent[key] = not old
        else:
            parent[key] = _odd(rng, old)
    text = json.dumps(doc)
    for mark, raw in RAW.items():
        text = text.replace(f'"{mark}"', raw)
    return text
