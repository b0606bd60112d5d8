"""A trace keeps the parameters, inputs and targets as they were when it was made: changing
the model or the batch in place afterwards (through ``.data``, under ``no_grad``, an optimizer step)
changes none of the trace's numbers."""

from __future__ import annotations

import torch
from torch import nn

import bptrace


def test_parameters_changed_in_place_after_trace_leave_it_as_it_was() -> None:
    model, inputs, targets, loss_fn = bptrace.classic()
    tr = bptrace.trace(model, inputs, targets, loss_fn, lr=0.5)
    w1 = tr.layers[0].weight.value.copy()
    b2 = tr.layers[1].bias.value.copy() if tr.layers[1].bias is not None else None
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # bumps the version counter
    for p in model.parameters():
        p.data.add_(1.0)  # through .data: the version counter does not move
    torch.optim.SGD(model.parameters(), lr=0.5).step()  # no .grad: a no-op, must not matter
    inputs.mul_(-2.0)
    targets.add_(1.0)
    assert (tr.layers[0].weight.value == w1).all()
    if b2 is not None:
        assert tr.layers[1].bias is not None and (tr.layers[1].bias.value == b2).all()
    # the course's numbers, unchanged: w1 = 0.15, w5 = 0.40, i1 = 0.05, and w5's update
    assert tr["w1"].value == 0.15
    assert tr["w5"].value == 0.4
    assert abs(tr["w5"].grad - 0.08216704056423077) < 1e-12
    assert abs(tr.inputs[0, 0] - 0.05) < 1e-12
    assert tr["t1"].value == 0.01 and tr["t2"].value == 0.99
    assert not any(torch.equal(p.detach(), torch.from_numpy(w1)) for p in model.parameters())


def test_a_plain_mlp_traced_twice_around_an_in_place_change_gives_two_traces() -> None:
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(6, 4), nn.Sigmoid(), nn.Linear(4, 3))
    x, y = torch.rand(8, 6), torch.randint(0, 3, (8,))
    before = bptrace.trace(model, x, y, nn.CrossEntropyLoss())
    kept = before.layers[0].weight.value.copy(), before.layers[0].pre.copy(), before.loss
    model[0].weight.data[0, 0] += 1.0  # through .data: no version change
    after = bptrace.trace(model, x, y, nn.CrossEntropyLoss())
    assert (before.layers[0].weight.value == kept[0]).all()
    assert (before.layers[0].pre == kept[1]).all() and before.loss == kept[2]
    assert after.layers[0].weight.value[0, 0] == kept[0][0, 0] + 1.0
    assert after.loss != before.loss


def test_views_the_user_took_of_the_model_and_batch_still_follow_them_after_a_trace() -> None:
    """Tracing has no side effect on the caller's memory: a numpy view of a parameter or of
    the inputs, taken before the trace, still shows the tensor after an optimizer step and an
    in-place change. (A copy-on-write snapshot, ``torch._lazy_clone``, would fail this: the
    written tensor moves to a new buffer and the old view is left behind.)"""
    torch.manual_seed(3)
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2))
    x, y = torch.rand(6, 5), torch.randint(0, 2, (6,))
    weight_view = model[0].weight.detach().numpy()
    input_view = x.numpy()
    tr = bptrace.trace(model, x, y, nn.CrossEntropyLoss())
    kept = tr.layers[0].weight.value.copy()
    model[0].weight.grad = torch.ones_like(model[0].weight)
    torch.optim.SGD(model.parameters(), lr=0.25).step()
    x.mul_(2.0)
    assert (weight_view == model[0].weight.detach().numpy()).all()
    assert (weight_view == kept - 0.25).all()
    assert (input_view == x.numpy()).all()
    assert (tr.layers[0].weight.value == kept).all()
