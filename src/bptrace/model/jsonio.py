"""The JSON export of a Trace: build it, write it atomically, read it back (validated).

Reading a trace is reading data: nothing is executed, the document is checked against the
published JSON Schema (``schema.json``) and files over :data:`MAX_TRACE_BYTES` are refused.
"""

from __future__ import annotations

import json
import math
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bptrace.i18n import N_, _
from bptrace.model import jsonwrite
from bptrace.model.errors import BptraceError
from bptrace.model.export_scalars import nodes_raw, steps_raw
from bptrace.model.files import read_bytes, read_text
from bptrace.model.jsonarrays import validate_mlp
from bptrace.model.jsonfast import gc_paused, parse_fast
from bptrace.model.modules import ModuleTrace
from bptrace.model.network import NetworkInfo
from bptrace.model.quote import path_text, q
from bptrace.model.trace import Layer, Param, Trace, Training
from bptrace.model.trace_checks import check_mlp, parse

if TYPE_CHECKING:
    from bptrace.model.trace import Array

FORMAT = "bptrace.trace"
VERSION = 1
MAX_TRACE_BYTES = 256 * 1024 * 1024
NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _num(x: float) -> float | str:
    if math.isfinite(x):
        return x
    return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")


def _clean(obj: Any) -> Any:
    """Floats that JSON cannot hold (NaN, ±inf) become the strings "nan", "inf", "-inf"."""
    if isinstance(obj, float):
        return _num(obj)
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    return obj


def _arr(a: Array | None) -> Any:
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    return a.tolist() if bool(np.isfinite(a).all()) else _clean(a.tolist())


def _param(p: Param | None) -> dict[str, Any] | None:
    if p is None:
        return None
    out = {"value": _arr(p.value), "grad": _arr(p.grad), "trainable": p.trainable}
    if p.updated is not None:
        out["updated"] = _arr(p.updated)
    return out


def resolve_detail(tr: Trace, detail: str) -> str:
    if detail not in ("auto", "scalars", "tensors"):
        raise BptraceError(
            _("--detail: expected scalars or tensors, got {value!r}").format(value=detail)
        )
    if detail == "auto":
        return "scalars" if tr.small else "tensors"
    return detail


def trace_to_dict(tr: Trace, detail: str = "auto", *, text: bool = False) -> dict[str, Any]:
    """The export document, in a fixed key order (``text``: nodes and steps as JSON text)."""
    detail = resolve_detail(tr, detail)
    targets = tr.targets
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "network": tr.network.to_dict(),
        "detail": detail,
        "tensors": {
            "input": {"value": _arr(tr.inputs), "grad": _arr(tr.input_grad)},
            "target": {
                "value": targets.astype(np.int64).reshape(-1).tolist()
                if tr.network.loss.target_kind == "indices"
                else _arr(targets)
            },
            "loss": _num(tr.loss),
            "layers": [
                {
                    "weight": _param(layer.weight),
                    "bias": _param(layer.bias),
                    "pre": {"value": _arr(layer.pre), "grad": _arr(layer.pre_grad)},
                    "post": {"value": _arr(layer.post), "grad": _arr(layer.post_grad)},
                }
                for layer in tr.layers
            ],
        },
        "nodes": {},
        "steps": [],
    }
    if detail == "scalars" and text:
        doc["nodes"], doc["steps"] = nodes_raw(tr, _node_dict), steps_raw(tr)
    elif detail == "scalars":
        doc["nodes"] = {name: _node_dict(tr, name) for name in tr.names()}
        doc["steps"] = [_clean(step.to_dict()) for step in tr.steps]
    if tr.warnings:
        doc["warnings"] = list(tr.warnings)
    if tr.training is not None:
        doc["training"] = _training_dict(tr, tr.training, detail)
    return doc


def _node_dict(tr: Trace, name: str) -> dict[str, Any]:
    node = tr[name]
    out: dict[str, Any] = {
        "kind": node.kind,
        "value": _clean(node.value),
        "grad": _clean(node.grad),
    }
    if node.trainable is not None:
        out["trainable"] = node.trainable
        if node.updated is not None:
            out["updated"] = _num(node.updated)
    return out


def _training_dict(tr: Trace, t: Training, detail: str) -> dict[str, Any]:
    final: dict[str, Any]
    if detail == "scalars":
        namer, final = tr.namer, {}
        for k, (w, b) in enumerate(zip(t.weights, t.biases, strict=True), start=1):
            for (r, c), v in np.ndenumerate(w):
                final[namer.weight(k, r, c)] = _num(float(v))
            if b is not None:
                for r, v in enumerate(b):
                    final[namer.bias(k, r)] = _num(float(v))
        for r in range(t.output.shape[1]):
            final[namer.post(tr.network.depth, r)] = _clean(
                [float(v) for v in t.output[:, r]]
                if t.output.shape[0] > 1
                else float(t.output[0, r])
            )
    else:
        final = {
            "layers": [
                {"weight": _arr(w), "bias": _arr(b)}
                for w, b in zip(t.weights, t.biases, strict=True)
            ],
            "output": _arr(t.output),
        }
    return {"epochs": t.epochs, "lr": t.lr, "loss": [_num(x) for x in t.loss], "final": final}


def dumps(tr: Trace | ModuleTrace, detail: str = "auto") -> str:
    """The export as text: full float precision, deterministic key order.

    A module trace has one level of detail (per-module statistics, full tensors up to
    :data:`~bptrace.model.modules.TENSOR_LIMIT` elements); ``detail`` applies to MLP traces.
    """
    doc = tr.to_dict() if isinstance(tr, ModuleTrace) else trace_to_dict(tr, detail, text=True)
    return jsonwrite.dumps(doc) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a failure never leaves a half-written file
    (see :mod:`bptrace.model.outfile`: regular files only, mode kept, stale temporaries cleaned)."""
    from bptrace.model.outfile import write_atomic as write

    write(path, text)


@cache
def schema() -> dict[str, Any]:
    """The published JSON Schema of the export."""
    text = resources.files("bptrace.model").joinpath("schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def validate(doc: Any, source: str = "trace") -> None:
    """Raise BptraceError naming the first place where ``doc`` breaks the schema."""
    if isinstance(doc, dict) and doc.get("format") != FORMAT:
        raise BptraceError(
            _("{source}: not a bptrace trace (format is {format})").format(
                source=source, format=q(doc.get("format"))
            )
        )
    if isinstance(doc, dict) and doc.get("version") != VERSION:
        raise BptraceError(
            _("{source}: unsupported trace version {version} (this bptrace reads {known})").format(
                source=source, version=q(doc.get("version")), known=VERSION
            )
        )
    if isinstance(doc, dict) and "kind" not in doc:  # an MLP trace: big arrays in numpy
        validate_mlp(doc, source, lambda d: _schema_check(d, source))
    else:
        _schema_check(doc, source)


def _schema_check(doc: Any, source: str) -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or _("(top level)")
        raise BptraceError(
            _("{source}: invalid trace at {where}: {message}").format(
                source=source, where=where, message=error.message[:200]
            )
        )


def _np(value: Any) -> Array:
    try:  # validated: numbers, or "nan"/"inf"/"-inf", which numpy reads as such
        return np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        pass

    def conv(v: Any) -> Any:
        if isinstance(v, list):
            return [conv(x) for x in v]
        return NONFINITE[v] if isinstance(v, str) else v

    return np.asarray(conv(value), dtype=np.float64)


def _param_from(d: dict[str, Any] | None) -> Param | None:
    if d is None:
        return None
    updated = _np(d["updated"]) if "updated" in d else None
    return Param(_np(d["value"]), _np(d["grad"]), d["trainable"], updated)


def trace_from_dict(doc: dict[str, Any], source: str = "trace") -> Trace:
    """Rebuild a Trace from a validated export document."""
    validate(doc, source)
    check_mlp(doc, source)
    t = doc["tensors"]
    layers = []
    for d in t["layers"]:
        weight = _param_from(d["weight"])
        assert weight is not None
        layers.append(
            Layer(
                weight,
                _param_from(d["bias"]),
                _np(d["pre"]["value"]),
                _np(d["pre"]["grad"]),
                _np(d["post"]["value"]),
                _np(d["post"]["grad"]),
            )
        )
    network = NetworkInfo.from_dict(doc["network"])
    targets = _np(t["target"]["value"])
    if network.loss.target_kind == "indices":
        targets = targets.reshape(-1, 1)
    tr = Trace(
        network,
        _np(t["input"]["value"]),
        _np(t["input"]["grad"]),
        targets,
        float(_np(t["loss"])),
        layers,
        warnings=list(doc.get("warnings", [])),
    )
    _check_shapes(tr, source)
    if "training" in doc:
        tr.training = _training_from(doc["training"], tr)
    return tr


def _check_shapes(tr: Trace, source: str) -> None:
    sizes, batch = tr.network.sizes, tr.network.batch
    if len(tr.layers) != len(sizes) - 1 or len(tr.network.activations) != len(tr.layers):
        raise BptraceError(
            _("{source}: invalid trace: {count} layers for sizes {sizes}").format(
                source=source, count=len(tr.layers), sizes=list(sizes)
            )
        )
    if tr.inputs.shape != (batch, sizes[0]) or tr.input_grad.shape != tr.inputs.shape:
        raise BptraceError(
            _("{source}: invalid trace: input shape {shape} for sizes {sizes}").format(
                source=source, shape=tr.inputs.shape, sizes=list(sizes)
            )
        )
    for k, layer in enumerate(tr.layers, start=1):
        want = {"weight": (sizes[k], sizes[k - 1]), "pre": (batch, sizes[k])}
        got = {"weight": layer.weight.value.shape, "pre": layer.pre.shape}
        arrays = [layer.weight.grad, layer.pre_grad, layer.post, layer.post_grad]
        shapes_ok = got == want and all(a.shape == want["pre"] for a in arrays[1:])
        shapes_ok = shapes_ok and layer.weight.grad.shape == want["weight"]
        if layer.bias is not None:
            shapes_ok = shapes_ok and layer.bias.value.shape == (sizes[k],) == layer.bias.grad.shape
        if not shapes_ok:
            raise BptraceError(
                _("{source}: invalid trace: layer {k} arrays do not match sizes {sizes}").format(
                    source=source, k=k, sizes=list(sizes)
                )
            )


def _training_from(d: dict[str, Any], tr: Trace) -> Training:
    final = d["final"]
    if "layers" in final:
        weights = [_np(x["weight"]) for x in final["layers"]]
        biases = [None if x["bias"] is None else _np(x["bias"]) for x in final["layers"]]
        output = _np(final["output"])
    else:
        namer, sizes = tr.namer, tr.network.sizes
        weights, biases = [], []
        for k in range(1, len(sizes)):
            weights.append(
                np.array(
                    [
                        [final[namer.weight(k, r, c)] for c in range(sizes[k - 1])]
                        for r in range(sizes[k])
                    ],
                    dtype=np.float64,
                )
            )
            biases.append(
                np.array([final[namer.bias(k, r)] for r in range(sizes[k])], dtype=np.float64)
                if tr.layers[k - 1].bias is not None
                else None
            )
        cols = [_np(final[namer.post(len(sizes) - 1, r)]).reshape(-1) for r in range(sizes[-1])]
        output = np.stack(cols, axis=1)
    return Training(
        d["epochs"], d["lr"], [float(_np(x)) for x in d["loss"]], weights, biases, output
    )


def any_trace_from_dict(doc: dict[str, Any], source: str = "trace") -> Trace | ModuleTrace:
    """Rebuild an MLP trace or a module trace (``"kind": "modules"``), validated."""
    if "kind" in doc:
        validate(doc, source)
        return ModuleTrace.from_dict(doc, source)
    return trace_from_dict(doc, source)


def load_trace(path: str | os.PathLike[str]) -> Trace | ModuleTrace:
    """Read an exported trace back, validating it. Never executes anything from the file.

    An MLP export gives a :class:`Trace`; a module export (``"kind": "modules"``) a
    :class:`~bptrace.model.modules.ModuleTrace`. The file is parsed by orjson when
    :func:`~bptrace.model.jsonfast.parse_fast` can vouch for the result; a file it cannot
    read, or whose document is refused, is read again by the reference parser, so every bad
    file gets the same one-line error as before.
    """
    p = Path(path)
    shown = path_text(p)
    data = read_bytes(p, MAX_TRACE_BYTES, N_("trace"))
    with gc_paused():
        doc = parse_fast(data)
        if isinstance(doc, dict):
            try:
                return any_trace_from_dict(doc, shown)
            except (BptraceError, RecursionError):
                pass  # refused: the reference reader below gives the verdict in its words
    doc = parse(read_text(p, MAX_TRACE_BYTES, N_("trace")), shown)
    if not isinstance(doc, dict):
        raise BptraceError(
            _("{source}: not a bptrace trace (top level is not an object)").format(source=shown)
        )

    return any_trace_from_dict(doc, shown)
