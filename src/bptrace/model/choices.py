"""Changing a network's hidden activation, output activation and loss: a new Spec.

Pure: the app's "choices" modal calls :func:`with_choices` and retraces the result. Targets
are carried across losses where that has a clear meaning (probability rows and class
indices for cross_entropy, one-hot rows back again); anything the spec parser would refuse
is refused with its message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bptrace.model.edit import spec_data
from bptrace.model.errors import BptraceError
from bptrace.model.lesson import pairing_warnings
from bptrace.model.network import ACTIVATIONS, LOSSES
from bptrace.model.spec import Spec, parse_spec
from bptrace.model.trace import Trace

HIDDEN = tuple(a for a in ACTIVATIONS if a != "softmax")


@dataclass(frozen=True)
class Choices:
    """The choices that shape the formulas: hidden and output activation, and loss; and
    whether the biases are trained (False is Mazur's setting: frozen biases)."""

    hidden: str
    output: str
    loss: str
    train_biases: bool = True

    @classmethod
    def of(cls, spec: Spec) -> Choices:
        hidden = spec.activations[0] if spec.activations else "sigmoid"
        return cls(hidden, spec.output_activation, spec.loss, spec.train_biases)

    def warnings(self) -> list[str]:
        return pairing_warnings(self.output, self.loss)


def _targets_for(loss: str, targets: list[Any], width: int) -> list[Any]:
    """Carry targets across losses: class index ↔ one-hot/probability rows."""
    if loss == "cross_entropy":
        out: list[Any] = []
        for t in targets:
            if isinstance(t, int):
                out.append(t)
            elif abs(sum(t) - 1.0) < 1e-9 and all(0 <= v <= 1 for v in t):
                out.append(list(t))  # a probability row: keep it
            else:
                out.append(max(range(width), key=t.__getitem__))  # the largest: its class
        return out
    return [
        [1.0 if j == t else 0.0 for j in range(width)] if isinstance(t, int) else t for t in targets
    ]


def with_choices(spec: Spec, tr: Trace, choices: Choices) -> Spec:
    """``spec`` (with the trace's concrete weights) under other activations and loss."""
    for name, value, options in (
        ("hidden activation", choices.hidden, HIDDEN),
        ("output activation", choices.output, ACTIVATIONS),
        ("loss", choices.loss, LOSSES),
    ):
        if value not in options:
            raise BptraceError(
                f"{name}: unknown value {value!r} (expected one of: {', '.join(options)})"
            )
    data = spec_data(spec, tr)
    data["activation"] = [choices.hidden] * len(spec.activations)
    data["output_activation"] = choices.output
    data["loss"] = choices.loss
    data["train_biases"] = choices.train_biases
    data["targets"] = _targets_for(choices.loss, data["targets"], spec.layers[-1])
    try:
        return parse_spec(data, spec.name)
    except BptraceError as exc:
        raise BptraceError(f"{choices.loss}: {str(exc).split(': ', 2)[-1]}") from None
