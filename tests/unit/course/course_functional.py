"""The course's first nn.Module form (section 2.4), exactly as the course writes it: separate
Linear layers, ``torch.sigmoid`` as a plain function, float32, 2-D biases set through ``.data``.

``make()`` is ours: the course's ``train()`` builds the same input, target and loss inline.
"""

import torch


class mynet(torch.nn.Module):
    def __init__(self):
        super(mynet,self).__init__()
        self.linear1=torch.nn.Linear(2,2)
        self.linear2=torch.nn.Linear(2,2)
        self.activation=torch.sigmoid
        # 初始化参数
        self.linear1.weight.data =torch.tensor([[0.15,0.20],[0.25,0.30]])
        self.linear2.weight.data =torch.tensor([[0.40,0.45],[0.50,0.55]])
        self.linear1.bias.data =torch.tensor([[0.35,0.35]])
        self.linear2.bias.data =torch.tensor([[0.60,0.60]])
    def forward(self,x):
        x= self.linear1(x)
        x= self.activation(x)
        x= self.linear2(x)
        x= self.activation(x)
        return x


def make():
    model=mynet()
    input = torch.tensor([[0.05,0.10]])
    target = torch.tensor([[0.01,0.99]])
    return model, input, target, torch.nn.MSELoss()
