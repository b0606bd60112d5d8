"""The seed course's tiny chain-rule graph, built with torch and walked ``grad_fn`` by
``grad_fn`` as the autograd engine would: fc1 = 1/(exp(−x·w + b) + 1), fc2 = 2·fc1 + 1.
The result is the pure :class:`bptrace.model.lesson.ChainGraph`.
"""

from __future__ import annotations

from typing import Any

import torch

from bptrace.i18n import _
from bptrace.model.lesson import TORCH_RECIPROCAL, ChainGraph, GraphStep

DTYPE = torch.float64


def chain_graph(x: float = 1.0, w: float = 0.0, b: float = 0.0) -> ChainGraph:
    """The seed's graph ``fc1 = 1/(exp(−x·w + b) + 1)``, ``fc2 = 2·fc1 + 1``, walked backward.

    Starting at ``fc2.grad_fn``, every node is called with a gradient of ones to read its
    local derivatives, and with the real upstream gradient to pass the product on, in
    topological order; the leaves' totals are checked against ``fc2.backward()``.
    """
    xt = torch.tensor(x, dtype=DTYPE)
    wt = torch.tensor(w, dtype=DTYPE, requires_grad=True)
    bt = torch.tensor(b, dtype=DTYPE, requires_grad=True)
    with torch.enable_grad():
        u = -xt * wt
        v = u + bt
        e = torch.exp(v)
        d = e + 1
        fc1 = 1 / d
        m = 2 * fc1
        fc2 = m + 1
        fc1.retain_grad()
        fc2.backward(retain_graph=True)  # type: ignore[no-untyped-call]
    assert fc1.grad is not None and wt.grad is not None and bt.grad is not None
    forward = [
        ("u", "−x·w", float(u.detach())),
        ("v", "u + b", float(v.detach())),
        ("e", "exp(v)", float(e.detach())),
        ("d", "e + 1", float(d.detach())),
        ("fc1", "1/d", float(fc1.detach())),
        ("m", "2·fc1", float(m.detach())),
        ("fc2", "m + 1", float(fc2.detach())),
    ]
    recip = fc1.grad_fn.next_functions[0][0] if fc1.grad_fn is not None else None
    known: dict[Any, tuple[str, float | None, list[str], list[str]]] = {
        fc2.grad_fn: ("fc2 = m + 1", float(fc2.detach()), ["m", "1"], ["1", "—"]),
        m.grad_fn: ("m = 2·fc1", float(m.detach()), ["fc1", "2"], ["2", "—"]),
        fc1.grad_fn: (
            "fc1 = r·1" + _(TORCH_RECIPROCAL),
            float(fc1.detach()),
            ["r", "1"],
            ["1", "—"],
        ),
        recip: ("r = 1/d", float(fc1.detach()), ["d"], ["−1/d²"]),
        d.grad_fn: ("d = e + 1", float(d.detach()), ["e", "1"], ["1", "—"]),
        e.grad_fn: ("e = exp(v)", float(e.detach()), ["v"], ["exp(v)"]),
        v.grad_fn: ("v = u + b", float(v.detach()), ["u", "b"], ["1", "1"]),
        u.grad_fn: ("u = (−x)·w", float(u.detach()), ["−x", "w"], ["—", "−x"]),
    }
    steps = _walk(fc2, known, {id(wt): "w", id(bt): "b"})
    return ChainGraph(
        x,
        w,
        b,
        forward,
        steps,
        {"fc1": float(fc1.grad), "w": float(wt.grad), "b": float(bt.grad)},
    )


def _walk(
    out: torch.Tensor,
    known: dict[Any, tuple[str, float | None, list[str], list[str]]],
    leaves: dict[int, str],
) -> list[GraphStep]:
    """Call each grad_fn node in topological order, as the autograd engine would."""
    root: Any = out.grad_fn  # torch's Node stubs lack __call__ and .variable
    assert root is not None
    # count how many edges lead into each node, so a node runs once all its upstream is in
    pending: dict[Any, int] = {}
    stack, seen = [root], {root}
    while stack:
        node = stack.pop()
        for nxt, _slot in node.next_functions:
            if nxt is None:
                continue
            pending[nxt] = pending.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    upstream: dict[Any, torch.Tensor] = {root: torch.ones((), dtype=DTYPE)}
    ready, steps = [root], []
    while ready:
        node = ready.pop(0)
        grad = upstream[node]
        name = type(node).__name__
        if name == "AccumulateGrad":
            leaf = leaves.get(id(node.variable), "leaf")
            steps.append(
                GraphStep(
                    name,
                    _("{leaf}.grad += upstream").format(leaf=leaf),
                    None,
                    float(grad.detach()),
                    [leaf],
                    ["1"],
                    [1.0],
                    [float(grad.detach())],
                )
            )
            continue
        label, value, inputs, local_formulas = known.get(node, (name, None, [], []))
        ones = _as_tuple(node(torch.ones_like(grad)))
        passed = _as_tuple(node(grad))
        local = [0.0 if g is None else float(g.detach()) for g in ones]
        down = [0.0 if g is None else float(g.detach()) for g in passed]
        if not inputs:
            inputs = [f"input {k}" for k in range(len(local))]
            local_formulas = ["?"] * len(local)
        steps.append(
            GraphStep(name, label, value, float(grad.detach()), inputs, local_formulas, local, down)
        )
        for (nxt, _slot), g in zip(node.next_functions, passed, strict=True):
            if nxt is None or g is None:
                continue
            upstream[nxt] = upstream[nxt] + g if nxt in upstream else g
            pending[nxt] -= 1
            if pending[nxt] == 0:
                ready.append(nxt)
    return steps


def _as_tuple(result: Any) -> tuple[torch.Tensor | None, ...]:
    return (result,) if isinstance(result, torch.Tensor) else tuple(result)
