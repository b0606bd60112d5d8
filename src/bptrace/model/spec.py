"""The TOML network spec of DESIGN.md: parsed with tomllib and checked, key by key.

Every problem raises :class:`BptraceError` naming the file and the key (and the value) at fault.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bptrace.i18n import N_, _
from bptrace.model.errors import BptraceError
from bptrace.model.files import read_text
from bptrace.model.network import ACTIVATIONS, LOSSES, REDUCTIONS
from bptrace.model.quote import path_text, q

SPEC_BYTES = 16 * 1024 * 1024  # a spec file larger than this is refused unread
MAX_PARAMETERS = 250_000  # weights and biases of a spec's network
MAX_VALUES = 250_000  # samples × neurons (inputs, pre-activations and activations per sample)
MAX_LAYERS = 100  # Linear layers
KEYS = {
    "name",
    "layers",
    "activation",
    "output_activation",
    "negative_slope",
    "loss",
    "reduction",
    "beta",
    "lr",
    "train_biases",
    "inputs",
    "targets",
    "weights",
    "biases",
    "seed",
}


@dataclass(frozen=True)
class Spec:
    """A network spec, validated. ``inputs``/``targets`` are always a list of samples."""

    name: str
    layers: tuple[int, ...]
    activations: tuple[str, ...]  # one per hidden layer
    output_activation: str
    negative_slope: float
    loss: str
    reduction: str
    beta: float
    lr: float
    train_biases: bool
    inputs: list[list[float]]
    targets: list[Any]
    weights: list[list[list[float]]] | None
    biases: list[list[float]] | None
    seed: int


CLASSIC_TEXT = """\
name = "classic 2-2-2"
layers = [2, 2, 2]
activation = "sigmoid"
output_activation = "sigmoid"
loss = "mse"
lr = 0.5
train_biases = true
inputs = [0.05, 0.10]
targets = [0.01, 0.99]
weights = [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]]
biases = [[0.35, 0.35], [0.60, 0.60]]
"""


class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str) -> BptraceError:
        return BptraceError(f"{self.source}: {key}: {message}")

    def number(
        self, key: str, value: Any, *, positive: bool = False, nonneg: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, _("expected a number, got {value}").format(value=q(value)))
        if not math.isfinite(value):
            raise self.fail(key, _("must be finite, got {value}").format(value=q(value)))
        if positive and value <= 0:
            raise self.fail(key, _("must be > 0, got {value}").format(value=q(value)))
        if nonneg and value < 0:
            raise self.fail(key, _("must be >= 0, got {value}").format(value=q(value)))
        return float(value)

    def vector(self, key: str, value: Any, size: int) -> list[float]:
        if not isinstance(value, list):
            raise self.fail(
                key,
                _("expected a list of {size} numbers, got {value}").format(
                    size=size, value=q(value)
                ),
            )
        if len(value) != size:
            raise self.fail(
                key, _("expected {size} numbers, got {count}").format(size=size, count=len(value))
            )
        return [self.number(f"{key}[{i}]", v) for i, v in enumerate(value)]

    def choice(self, key: str, value: Any, options: tuple[str, ...]) -> str:
        if value not in options:
            raise self.fail(
                key,
                _("unknown value {value} (expected one of: {options})").format(
                    value=q(value), options=", ".join(options)
                ),
            )
        return str(value)


def parse_spec(data: dict[str, Any], source: str = "spec") -> Spec:
    """Check a parsed TOML document and return the Spec it describes."""
    c = _Checker(source)
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise c.fail(
            q(unknown[0]),
            _("unknown key (known keys: {keys})").format(keys=", ".join(sorted(KEYS))),
        )
    for key in ("layers", "inputs", "targets"):
        if key not in data:
            raise c.fail(key, _("missing (required)"))
    layers = data["layers"]
    if not isinstance(layers, list) or len(layers) < 2:
        raise c.fail(
            "layers",
            _("expected a list of at least 2 sizes (input, ..., output), got {value}").format(
                value=q(layers)
            ),
        )
    for i, n in enumerate(layers):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise c.fail(
                f"layers[{i}]", _("expected a positive integer, got {value}").format(value=q(n))
            )
    _check_size(c, layers, data["inputs"])
    hidden = len(layers) - 2
    act = data.get("activation", "sigmoid")
    acts = act if isinstance(act, list) else [act] * hidden
    if isinstance(act, list) and len(act) != hidden:
        raise c.fail(
            "activation",
            _("expected {hidden} names (one per hidden layer), got {count}").format(
                hidden=hidden, count=len(act)
            ),
        )
    activations = tuple(
        c.choice(f"activation[{i}]" if isinstance(act, list) else "activation", a, ACTIVATIONS)
        for i, a in enumerate(acts)
    )
    out_act = c.choice("output_activation", data.get("output_activation", "sigmoid"), ACTIVATIONS)
    slope = c.number("negative_slope", data.get("negative_slope", 0.01))
    loss = c.choice("loss", data.get("loss", "mse"), LOSSES)
    reduction = c.choice("reduction", data.get("reduction", "mean"), REDUCTIONS)
    beta = c.number("beta", data.get("beta", 1.0), nonneg=True)
    lr = c.number("lr", data.get("lr", 0.5), positive=True)
    train_biases = data.get("train_biases", True)
    if not isinstance(train_biases, bool):
        raise c.fail(
            "train_biases", _("expected true or false, got {value}").format(value=q(train_biases))
        )
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise c.fail(
            "seed", _("expected a non-negative integer, got {value}").format(value=q(seed))
        )
    if seed >= 2**64:  # what torch.Generator.manual_seed takes
        raise c.fail(
            "seed", _("must be below 2**64 (torch's seed range), got {value}").format(value=seed)
        )
    name = data.get("name", Path(source).stem if source != "spec" else "network")
    if not isinstance(name, str):
        raise c.fail("name", _("expected a string, got {value}").format(value=q(name)))
    if not name.isprintable():
        raise c.fail("name", _("holds control characters: {value}").format(value=q(name)))

    n_in, n_out = layers[0], layers[-1]
    raw_inputs = data["inputs"]
    single = isinstance(raw_inputs, list) and (
        not raw_inputs or not isinstance(raw_inputs[0], list)
    )
    samples = [raw_inputs] if single else raw_inputs
    if not isinstance(samples, list) or not samples:
        raise c.fail("inputs", _("expected one sample (a list of numbers) or a list of samples"))
    inputs = [
        c.vector("inputs" if single else f"inputs[{i}]", s, n_in) for i, s in enumerate(samples)
    ]
    targets = _targets(c, data["targets"], loss, len(inputs), n_out, single)
    weights = biases = None
    if "weights" in data:
        weights = _weights(c, data["weights"], layers)
    if "biases" in data:
        biases = _biases(c, data["biases"], layers)
    return Spec(
        name,
        tuple(layers),
        activations,
        out_act,
        slope,
        loss,
        reduction,
        beta,
        lr,
        train_biases,
        inputs,
        targets,
        weights,
        biases,
        seed,
    )


def _targets(c: _Checker, raw: Any, loss: str, batch: int, n_out: int, single: bool) -> list[Any]:
    if loss == "cross_entropy":
        items = raw
        if single and not (isinstance(raw, list) and len(raw) == 1 and _is_int(raw[0])):
            items = [raw]
        if not isinstance(items, list) or len(items) != batch:
            raise c.fail(
                "targets",
                _("expected {batch} target(s), one per sample, got {value}").format(
                    batch=batch, value=q(raw)
                ),
            )
        out: list[Any] = []
        for i, t in enumerate(items):
            key = "targets" if single else f"targets[{i}]"
            if _is_int(t):
                if not 0 <= t < n_out:
                    raise c.fail(
                        key,
                        _("class index {index} out of range 0..{last}").format(
                            index=t, last=n_out - 1
                        ),
                    )
                out.append(t)
            else:
                probs = c.vector(key, t, n_out)
                if any(p < 0 or p > 1 for p in probs):
                    raise c.fail(
                        key,
                        _("class probabilities must lie in [0, 1], got {value}").format(
                            value=q(probs)
                        ),
                    )
                out.append(probs)
        if len({isinstance(t, int) for t in out}) > 1:
            raise c.fail("targets", _("mix of class indices and probabilities"))
        return out
    items = [raw] if single else raw
    if not isinstance(items, list) or len(items) != batch:
        raise c.fail(
            "targets",
            _("expected {batch} target sample(s), got {value}").format(batch=batch, value=q(raw)),
        )
    out = [
        c.vector("targets" if single else f"targets[{i}]", t, n_out) for i, t in enumerate(items)
    ]
    if loss == "bce":
        for i, t in enumerate(out):
            if any(v < 0 or v > 1 for v in t):
                raise c.fail(
                    "targets" if single else f"targets[{i}]",
                    _("bce targets must lie in [0, 1], got {value}").format(value=q(t)),
                )
    return out


def _weights(c: _Checker, raw: Any, layers: list[int]) -> list[list[list[float]]]:
    depth = len(layers) - 1
    if not isinstance(raw, list) or len(raw) != depth:
        raise c.fail(
            "weights",
            _("expected {depth} matrices (one per layer), got {count}").format(
                depth=depth, count=_count(raw)
            ),
        )
    out = []
    for k, mat in enumerate(raw):
        rows, cols = layers[k + 1], layers[k]
        if not isinstance(mat, list) or len(mat) != rows:
            raise c.fail(
                f"weights[{k}]",
                _("expected {rows} rows (layer {layer} has {rows} outputs), got {count}").format(
                    rows=rows, layer=k + 1, count=_count(mat)
                ),
            )
        out.append([c.vector(f"weights[{k}][{r}]", row, cols) for r, row in enumerate(mat)])
    return out


def _biases(c: _Checker, raw: Any, layers: list[int]) -> list[list[float]]:
    depth = len(layers) - 1
    if not isinstance(raw, list) or len(raw) != depth:
        raise c.fail(
            "biases",
            _("expected {depth} vectors (one per layer), got {count}").format(
                depth=depth, count=_count(raw)
            ),
        )
    return [c.vector(f"biases[{k}]", vec, layers[k + 1]) for k, vec in enumerate(raw)]


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _count(raw: Any) -> str:
    return f"{len(raw)}" if isinstance(raw, list) else q(raw)


def _check_size(c: _Checker, layers: list[int], raw_inputs: Any) -> None:
    """Refuse a network over the limits before anything is built (or allocated)."""
    if len(layers) > MAX_LAYERS + 1:
        raise c.fail(
            "layers",
            _("{count} layers is over the limit of {limit}").format(
                count=len(layers) - 1, limit=MAX_LAYERS
            ),
        )
    params = sum(n_in * n_out + n_out for n_in, n_out in zip(layers, layers[1:], strict=False))
    if params > MAX_PARAMETERS:
        raise c.fail(
            "layers",
            _(
                "{layers} has {params:,} weights and biases, over the limit of {limit:,} for a spec"
            ).format(layers=q(layers), params=params, limit=MAX_PARAMETERS),
        )
    batched = isinstance(raw_inputs, list) and bool(raw_inputs) and isinstance(raw_inputs[0], list)
    batch = len(raw_inputs) if batched else 1
    values = batch * sum(layers)
    if values > MAX_VALUES:
        raise c.fail(
            "inputs",
            _(
                "{batch:,} samples × {neurons:,} neurons is {values:,} values, over the limit "
                "of {limit:,} for a spec"
            ).format(batch=batch, neurons=sum(layers), values=values, limit=MAX_VALUES),
        )


def read_spec(path: str | Path) -> Spec:
    """Read and check a TOML spec file."""
    return parse_spec_text(read_text(path, SPEC_BYTES, N_("spec")), path_text(path))


def parse_spec_text(text: str, source: str = "spec") -> Spec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BptraceError(
            _("{source}: not valid TOML ({reason})").format(source=source, reason=exc)
        ) from None
    except RecursionError:
        raise BptraceError(
            _("{source}: not a spec: arrays or tables nested too deeply").format(source=source)
        ) from None

    return parse_spec(data, source)
