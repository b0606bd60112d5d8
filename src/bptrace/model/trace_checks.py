"""Checks of a trace file beyond its JSON Schema: everything the app relies on.

The schema says what each key may hold; a file can pass it and still contradict itself (a
bias of ``null`` where ``network.bias`` says there is one, ``target_kind`` "indices" with a
``mse`` loss, an ``updated`` array of the wrong shape, an lr of 1e400). :func:`check_mlp`
checks every such cross-field fact before anything is built, and refuses the file with one
line naming the key. :func:`parse` reads the text with limits checked early: the number of
values (counted before parsing), integers of more than 20 digits, nesting depth, and the
``NaN``/``Infinity`` literals JSON does not have.

Shape checks here look at list lengths only (one pass over the rows, not the elements): the
schema has already checked that every element is a number or one of "nan", "inf", "-inf".
"""

from __future__ import annotations

import json
import math
from typing import Any

from bptrace.i18n import _
from bptrace.model.errors import BptraceError
from bptrace.model.quote import q

MAX_TRACE_VALUES = 20_000_000  # commas in the text: a bound on how many values it holds
MAX_TRACE_NUMBERS = 10_000_000  # numbers the layers' arrays may hold, from network.sizes
MAX_INT_DIGITS = 20
_NONFINITE = ("nan", "inf", "-inf")


def parse(text: str, source: str) -> Any:
    """The JSON document in ``text``, or one clear error line."""
    values = text.count(",") + 1
    if values > MAX_TRACE_VALUES:
        raise BptraceError(
            _(
                "{source}: about {values:,} values is over the limit of {limit:,} for a trace"
            ).format(source=source, values=values, limit=MAX_TRACE_VALUES)
        )

    def integer(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            raise BptraceError(
                _("{source}: not a bptrace trace: an integer of {digits:,} digits").format(
                    source=source, digits=len(digits.lstrip("-"))
                )
            )
        return int(digits)

    def constant(name: str) -> float:
        raise BptraceError(
            _(
                "{source}: not valid JSON: {name} is not a JSON number "
                '(bptrace writes "nan", "inf" and "-inf" as strings)'
            ).format(source=source, name=name)
        )

    try:
        return json.loads(text, parse_int=integer, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise BptraceError(
            _("{source}: not valid JSON (line {line}, column {column}: {reason})").format(
                source=source, line=exc.lineno, column=exc.colno, reason=exc.msg
            )
        ) from None
    except RecursionError:
        raise BptraceError(
            _("{source}: not a bptrace trace: nested too deeply").format(source=source)
        ) from None


class _Check:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> BptraceError:
        return BptraceError(
            _("{source}: invalid trace at {where}: {message}").format(
                source=self.source, where=key, message=message
            )
        )

    def finite(self, key: str, value: Any, *, positive: bool = False) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, _("expected a number, got {value}").format(value=q(value)))
        if not math.isfinite(value):
            raise self.fail(key, _("must be finite, got {value}").format(value=q(value)))
        if positive and value <= 0:
            raise self.fail(key, _("must be > 0, got {value}").format(value=q(value)))

    def num(self, key: str, value: Any) -> None:
        """A number, or one of the strings standing for NaN and ±inf."""
        if isinstance(value, str) and value in _NONFINITE:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, _("expected a number, got {value}").format(value=q(value)))

    def vector(self, key: str, value: Any, size: int, elements: bool = False) -> None:
        """A list of ``size`` numbers; each element checked too when the schema does not."""
        if not isinstance(value, list) or len(value) != size:
            raise self.fail(
                key, _("expected {size} numbers, got {count}").format(size=size, count=_what(value))
            )
        if elements:
            for i, v in enumerate(value):
                self.num(f"{key}/{i}", v)
        elif any(isinstance(v, list) for v in value):
            raise self.fail(key, _("expected {size} numbers, got a nested list").format(size=size))

    def matrix(self, key: str, value: Any, rows: int, cols: int, elements: bool = False) -> None:
        if not isinstance(value, list) or len(value) != rows:
            raise self.fail(
                key,
                _("expected {rows} rows of {cols}, got {value}").format(
                    rows=rows, cols=cols, value=_what(value)
                ),
            )
        for r, row in enumerate(value):
            self.vector(f"{key}/{r}", row, cols, elements)

    def text(self, key: str, value: Any) -> None:
        if isinstance(value, str) and not value.isprintable():
            raise self.fail(key, _("holds control characters: {value}").format(value=q(value)))


def _what(value: Any) -> str:
    return _("a list of {count}").format(count=len(value)) if isinstance(value, list) else q(value)


def check_mlp(doc: dict[str, Any], source: str) -> None:
    """Refuse a schema-valid MLP trace whose parts do not fit together (see module docstring)."""
    c = _Check(source)
    net = doc["network"]
    sizes, batch = net["sizes"], net["batch"]
    depth = len(sizes) - 1
    numbers = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False)) + batch * sum(sizes)
    if numbers > MAX_TRACE_NUMBERS:
        raise c.fail(
            "network/sizes",
            _("{numbers:,} numbers per array set is over the limit of {limit:,}").format(
                numbers=numbers, limit=MAX_TRACE_NUMBERS
            ),
        )
    c.text("network/name", net["name"])
    for key in ("activations", "bias"):
        if len(net[key]) != depth:
            raise c.fail(
                f"network/{key}",
                _("{count} entries for {depth} layers").format(count=len(net[key]), depth=depth),
            )
    for k, act in enumerate(net["activations"]):
        if act["name"] == "leaky_relu" or "negative_slope" in act:
            c.finite(f"network/activations/{k}/negative_slope", act.get("negative_slope"))
    if net["lr"] is not None:
        c.finite("network/lr", net["lr"], positive=True)
    loss = net["loss"]
    if loss["name"] == "smooth_l1":
        c.finite("network/loss/beta", loss.get("beta"))
    kind = loss["target_kind"]
    if (loss["name"] == "cross_entropy") != (kind in ("indices", "probabilities")):
        raise c.fail(
            "network/loss/target_kind",
            _("{kind} does not go with the loss {loss}").format(kind=q(kind), loss=q(loss["name"])),
        )
    tensors = doc["tensors"]
    for part in ("value", "grad"):
        c.matrix(f"tensors/input/{part}", tensors["input"][part], batch, sizes[0])
    target = tensors["target"]["value"]
    if kind == "indices":
        c.vector("tensors/target/value", target, batch)
        for i, t in enumerate(target):
            if not (isinstance(t, int) and 0 <= t < sizes[-1]):
                raise c.fail(
                    f"tensors/target/value/{i}",
                    _("class index {index} out of range 0..{last}").format(
                        index=q(t), last=sizes[-1] - 1
                    ),
                )
    else:
        c.matrix("tensors/target/value", target, batch, sizes[-1])
    layers = tensors["layers"]
    if len(layers) != depth:
        raise c.fail(
            "tensors/layers",
            _("{count} layers for sizes {sizes}").format(count=len(layers), sizes=sizes),
        )
    for k, layer in enumerate(layers):
        _check_layer(c, layer, k, sizes[k], sizes[k + 1], batch, net["bias"][k], net["lr"])
    for i, w in enumerate(doc.get("warnings", [])):
        c.text(f"warnings/{i}", w)
    if "training" in doc:
        _check_training(c, doc["training"], sizes, batch, net["bias"], doc["detail"])


def _check_layer(
    c: _Check,
    layer: dict[str, Any],
    k: int,
    n_in: int,
    n_out: int,
    batch: int,
    has_bias: bool,
    lr: float | None,
) -> None:
    where = f"tensors/layers/{k}"
    weight, bias = layer["weight"], layer["bias"]
    for part in ("value", "grad", "updated"):
        if part in weight:
            c.matrix(f"{where}/weight/{part}", weight[part], n_out, n_in)
    if (bias is None) == has_bias:
        raise c.fail(
            f"{where}/bias",
            (
                _("is null but network/bias/{k} is true")
                if bias is None
                else _("is present but network/bias/{k} is false")
            ).format(k=k),
        )
    if bias is not None:
        for part in ("value", "grad", "updated"):
            if part in bias:
                c.vector(f"{where}/bias/{part}", bias[part], n_out)
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and lr is not None and param["trainable"] and "updated" not in param:
            raise c.fail(f"{where}/{name}", _("has no 'updated' although network/lr is set"))
    for kind in ("pre", "post"):
        for part in ("value", "grad"):
            c.matrix(f"{where}/{kind}/{part}", layer[kind][part], batch, n_out)


def _check_training(
    c: _Check, training: dict[str, Any], sizes: list[int], batch: int, bias: list[bool], detail: str
) -> None:
    epochs = training["epochs"]
    c.finite("training/lr", training["lr"], positive=True)
    if len(training["loss"]) != epochs + 1:
        raise c.fail(
            "training/loss",
            _("{count} numbers for {epochs} epochs").format(
                count=len(training["loss"]), epochs=epochs
            ),
        )
    for i, v in enumerate(training["loss"]):
        c.num(f"training/loss/{i}", v)
    final = training["final"]
    if "layers" in final:
        layers = final["layers"]
        if len(layers) != len(sizes) - 1:
            raise c.fail(
                "training/final/layers",
                _("{count} layers for sizes {sizes}").format(count=len(layers), sizes=sizes),
            )
        for k, layer in enumerate(layers):
            if not isinstance(layer, dict) or not {"weight", "bias"} <= set(layer):
                raise c.fail(
                    f"training/final/layers/{k}", _("expected an object with weight, bias")
                )
            c.matrix(
                f"training/final/layers/{k}/weight", layer["weight"], sizes[k + 1], sizes[k], True
            )
            if (layer["bias"] is None) == bias[k]:
                raise c.fail(f"training/final/layers/{k}/bias", _("does not match network/bias"))
            if layer["bias"] is not None:
                c.vector(f"training/final/layers/{k}/bias", layer["bias"], sizes[k + 1], True)
        if "output" not in final:
            raise c.fail("training/final", _("missing 'output'"))

        c.matrix("training/final/output", final["output"], batch, sizes[-1], True)
        return
    _check_final_names(c, final, sizes, batch, bias)


def _check_final_names(
    c: _Check, final: dict[str, Any], sizes: list[int], batch: int, bias: list[bool]
) -> None:
    """``training.final`` keyed by name (w1, b1, o1, ...), as a scalars export writes it."""
    from bptrace.model.names import Namer

    namer = Namer(tuple(sizes), tuple(bias), sizes[-1])
    depth = len(sizes) - 1
    for k in range(1, depth + 1):
        names = [namer.weight(k, r, col) for r in range(sizes[k]) for col in range(sizes[k - 1])]
        if bias[k - 1]:
            names += [namer.bias(k, r) for r in range(sizes[k])]
        for name in names:
            if name not in final:
                raise c.fail("training/final", _("missing {name}").format(name=q(name)))
            c.num(f"training/final/{name}", final[name])
    for r in range(sizes[-1]):
        name = namer.post(depth, r)
        if name not in final:
            raise c.fail("training/final", _("missing {name}").format(name=q(name)))
        value = final[name]
        if batch > 1:
            c.vector(f"training/final/{name}", value, batch, True)
        else:
            c.num(f"training/final/{name}", value)
