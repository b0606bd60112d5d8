"""A model whose module names look like markup: nn.ModuleDict keys ``[b]x`` and ``[/]``
(read by tests/app/test_markup_text.py and tests/unit/test_markup_cli.py through --model)."""

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.parts = nn.ModuleDict({"[b]x": nn.Conv1d(1, 2, 3), "[/]": nn.Linear(4, 2)})

    def forward(self, x):
        return self.parts["[/]"](torch.relu(self.parts["[b]x"](x)).flatten(1))


def make():
    torch.manual_seed(0)
    return Net(), torch.randn(3, 1, 4), torch.tensor([0, 1, 1]), nn.CrossEntropyLoss()
