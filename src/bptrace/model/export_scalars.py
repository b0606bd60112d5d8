"""The per-scalar part of an MLP export (``nodes`` and ``steps``), rendered at the speed of the data.

Most scalars of a real network are weights: their ``∂loss/∂w`` steps, update steps and nodes
are computed here a whole layer at a time in numpy (the same operations, element by element,
as :class:`~bptrace.model.steps.StepList` does one step at a time, so the same numbers) and
written straight to JSON text from shared pieces: a number shown in many steps is formatted
once. The other steps and nodes (one per neuron, not per weight) come from the trace itself.
The text is exactly what ``json.dumps(..., indent=1)`` writes for the same document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from bptrace.model.export_grads import param_steps, via_steps
from bptrace.model.fmt import fmt, fmt_signed
from bptrace.model.jsonwrite import Raw, dumps, encode_string, nums, pad, step_head

if TYPE_CHECKING:
    from bptrace.model.steps import StepList
    from bptrace.model.trace import Trace


def steps_raw(tr: Trace) -> Raw:
    """The ``steps`` list, as JSON text."""
    return Raw(lambda level: _list(level, _steps(tr, level + 1)))


def nodes_raw(tr: Trace, node_dict: Any) -> Raw:
    """The ``nodes`` object, as JSON text (``node_dict(tr, name)``: one node, the slow way)."""
    return Raw(lambda level: _object(level, _nodes(tr, level + 1, node_dict)))


def _list(level: int, items: Iterator[str]) -> str:
    inner = pad(level + 1)
    body = ("," + inner).join(items)
    return "[]" if not body else "[" + inner + body + pad(level) + "]"


def _object(level: int, items: Iterator[str]) -> str:
    inner = pad(level + 1)
    body = ("," + inner).join(items)
    return "{}" if not body else "{" + inner + body + pad(level) + "}"


def _generic(value: Any, level: int) -> str:
    text = dumps(value)
    return text if level == 0 else text.replace("\n", pad(level))


# -- steps -------------------------------------------------------------------------------------
def _steps(tr: Trace, level: int) -> Iterator[str]:
    from bptrace.model.jsonio import _clean

    steps = tr.steps
    for (phase, kind, k, count), start in zip(steps.plan, steps.offsets, strict=False):
        first = int(start)
        if phase == "backward" and kind in ("dweight", "dbias"):
            yield from param_steps(steps, k, kind == "dbias", first, level)
        elif phase == "backward" and kind == "dinput":
            yield from via_steps(
                steps, 1, [f"i{r + 1}" for r in range(count)], tr.input_grad, first, level
            )
        elif phase == "backward" and kind == "dpost" and k < tr.network.depth:
            names = [tr.namer.post(k, r) for r in range(count)]
            yield from via_steps(steps, k + 1, names, tr.layers[k - 1].post_grad, first, level)
        elif phase == "update":
            yield from _update_steps(steps, k, kind == "bias", first, level)
        else:
            for i in range(first, first + count):
                yield _generic(_clean(steps[i].to_dict()), level)


def _update_steps(steps: StepList, k: int, bias: bool, first: int, level: int) -> Iterator[str]:
    """Every update step of layer ``k``'s weights (or biases), in row-major order."""
    tr, namer = steps.tr, steps.tr.namer
    param = tr.layers[k - 1].bias if bias else tr.layers[k - 1].weight
    assert param is not None and param.updated is not None
    lr = f"{float(tr.network.lr or 0.0):g}"
    values = param.value.reshape(-1).tolist()
    grads = param.grad.reshape(-1).tolist()
    updated = nums(param.updated.reshape(-1).tolist())
    cols = 1 if bias else tr.network.sizes[k - 1]
    p1, close0 = pad(level + 1), pad(level) + "}"
    for pos, (v, g, u) in enumerate(zip(values, grads, updated, strict=True)):
        r, c = divmod(pos, cols)
        node = namer.bias(k, r) if bias else namer.weight(k, r, c)
        yield (
            step_head(
                p1,
                first + pos,
                "update",
                node,
                f"{node} ← {node} − lr·∂loss/∂{node}",
                f"{fmt(v)} − {lr} × {fmt_signed(g)}",
                u,
            )
            + close0
        )


# -- nodes -------------------------------------------------------------------------------------
def _nodes(tr: Trace, level: int, node_dict: Any) -> Iterator[str]:
    namer, sizes = tr.namer, tr.network.sizes

    def slow(name: str) -> str:
        return encode_string(name) + ": " + _generic(node_dict(tr, name), level)

    yield from (slow(f"i{c + 1}") for c in range(sizes[0]))
    yield from (slow(namer.target(c)) for c in range(namer.n_targets))
    for k in range(1, namer.depth + 1):
        yield from _param_nodes(tr, k, False, level)
        if namer.has_bias[k - 1]:
            yield from _param_nodes(tr, k, True, level)
        yield from (slow(namer.pre(k, r)) for r in range(sizes[k]))
        yield from (slow(namer.post(k, r)) for r in range(sizes[k]))
    yield slow("loss")


def _param_nodes(tr: Trace, k: int, bias: bool, level: int) -> Iterator[str]:
    namer = tr.namer
    param = tr.layers[k - 1].bias if bias else tr.layers[k - 1].weight
    assert param is not None
    kind = "bias" if bias else "weight"
    values = nums(param.value.reshape(-1).tolist())
    grads = nums(param.grad.reshape(-1).tolist())
    updated = None if param.updated is None else nums(param.updated.reshape(-1).tolist())
    cols = 1 if bias else tr.network.sizes[k - 1]
    p1, close0 = pad(level + 1), pad(level) + "}"
    head = "{" + p1 + f'"kind": "{kind}",' + p1 + '"value": '
    tail = "," + p1 + '"trainable": ' + ("true" if param.trainable else "false")
    for pos, (v, g) in enumerate(zip(values, grads, strict=True)):
        r, c = divmod(pos, cols)
        name = namer.bias(k, r) if bias else namer.weight(k, r, c)
        extra = "" if updated is None else "," + p1 + '"updated": ' + updated[pos]
        yield (
            encode_string(name)
            + ": "
            + head
            + v
            + ","
            + p1
            + '"grad": '
            + g
            + tail
            + extra
            + close0
        )
