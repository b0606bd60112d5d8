"""The course's second nn.Module form (section 2.4), exactly as the course writes it:
``nn.Sequential(Linear, Sigmoid)`` blocks, float32, 2-D biases set through ``.data``.

``make()`` is ours: the course's ``train()`` builds the same input, target and loss inline.
"""

import torch


class mynet(torch.nn.Module):
    def __init__(self):
        super(mynet,self).__init__()
        self.hidde1 = torch.nn.Sequential(torch.nn.Linear(2,2),torch.nn.Sigmoid())
        self.out = torch.nn.Sequential(torch.nn.Linear(2,2),torch.nn.Sigmoid())
        # 初始化参数
        self.hidde1[0].weight.data =torch.tensor([[0.15,0.20],[0.25,0.30]])
        self.out[0].weight.data =torch.tensor([[0.40,0.45],[0.50,0.55]])
        self.hidde1[0].bias.data =torch.tensor([[0.35,0.35]])
        self.out[0].bias.data =torch.tensor([[0.60,0.60]])
    def forward(self,x):
        x= self.hidde1(x)
        x= self.out(x)
        return x


def make():
    model=mynet()
    input = torch.tensor([[0.05,0.10]])
    target = torch.tensor([[0.01,0.99]])
    return model, input, target, torch.nn.MSELoss()
