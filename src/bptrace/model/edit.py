"""Editing one number of a traced network: a new Spec with that value replaced.

Pure: no torch, no textual. The app calls :func:`edit_spec` and retraces the result in a
worker. The new Spec carries the trace's concrete weights and biases (so a seeded random
initialisation is kept exactly), with one input, target, weight, bias or the learning rate
replaced. Every check of the spec parser applies, so a value the spec would refuse (an lr of
0, a BCE target of 2) is refused here with the same message.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import q
from bptrace.model.spec import Spec, parse_spec

if TYPE_CHECKING:
    from bptrace.model.trace import Trace


def editable(tr: Trace, name: str) -> bool:
    """Whether ``name`` is a number a person may edit: an input, target, weight, bias or lr."""
    if name == "lr":
        return tr.network.lr is not None
    ref = tr.namer.resolve(name)
    return ref is not None and ref.letter in ("i", "t", "w", "b")


def parse_number(text: str) -> float:
    """The number typed in an edit box, or a BptraceError saying what is wrong with it."""
    stripped = text.strip().replace("−", "-")
    if not stripped:
        raise BptraceError(_("type a number, e.g. 0.4 or -1.5e-3"))
    try:
        value = float(stripped)
    except ValueError:
        raise BptraceError(_("not a number: {text}").format(text=q(text.strip()))) from None
    if not math.isfinite(value):
        raise BptraceError(_("must be finite, got {text}").format(text=q(text.strip())))
    return value


def spec_data(spec: Spec, tr: Trace) -> dict[str, Any]:
    """The spec as a TOML-like dict, with the trace's weights and biases written out."""
    data = asdict(spec)
    data["layers"] = list(spec.layers)
    data["activation"] = list(data.pop("activations"))
    data["weights"] = [layer.weight.value.tolist() for layer in tr.layers]
    if all(layer.bias is not None for layer in tr.layers):
        data["biases"] = [layer.bias.value.tolist() for layer in tr.layers if layer.bias]
    if data["biases"] is None:
        del data["biases"]
    return data


def edit_spec(spec: Spec, tr: Trace, name: str, value: float) -> Spec:
    """``spec`` with concrete weights/biases from ``tr`` and ``name`` set to ``value``."""
    if not editable(tr, name):
        raise BptraceError(
            _(
                "{name} is not an editable number (edit inputs, targets, weights, biases or lr)"
            ).format(name=name)
        )
    data = spec_data(spec, tr)
    ref = tr.namer.resolve(name)
    if ref is None:
        data["lr"] = value
    elif ref.letter in ("i", "t"):
        key = "inputs" if ref.letter == "i" else "targets"
        samples = data[key]
        if len(samples) != 1:
            raise BptraceError(
                _(
                    "{name} has one value per sample ({count} samples); edit the spec file instead"
                ).format(name=name, count=len(samples))
            )
        if not isinstance(samples[0], list):
            raise BptraceError(
                _("{name}: the target is a class index; edit the spec file instead").format(
                    name=name
                )
            )
        samples[0][ref.row] = value
    elif ref.letter == "w":
        data["weights"][ref.layer - 1][ref.row][ref.col] = value
    else:
        if "biases" not in data:
            raise BptraceError(_("{name}: this network's biases are not known").format(name=name))

        data["biases"][ref.layer - 1][ref.row] = value
    try:
        return parse_spec(data, spec.name)
    except BptraceError as exc:
        # "classic: targets: ..." -> say it about the name the person typed at
        raise BptraceError(f"{name}: {str(exc).split(': ', 2)[-1]}") from None
