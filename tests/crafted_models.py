"""Model sources of the shapes real students write, each as notebook code: a Swish function, nn.SiLU, BN
after the convolutions only, ResNet-20s with other names, ``nn.Sequential`` stages, conv biases or 1x1
projection shortcuts, and a ResNet-18 layout called ResNet20."""

from __future__ import annotations

import typing as t

IMPORTS = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"

# SimpleNN's shape (two convs, three FCs), the activation given as ACT and BN after the convolutions when BN.
SIMPLE = """
def swish(x):
    return x * torch.sigmoid(x)

class SimpleNet(nn.Module):
    def __init__(self, act="relu", bn=False):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 8, 5), nn.Conv2d(8, 16, 3)
        self.bn1 = nn.BatchNorm2d(8) if bn else nn.Identity()
        self.bn2 = nn.BatchNorm2d(16) if bn else nn.Identity()
        self.fc1, self.fc2, self.fc3 = nn.Linear(16 * 6 * 6, 120), nn.Linear(120, 84), nn.Linear(84, 10)
        self.act = {"relu": F.relu, "swish": swish, "silu": nn.SiLU(), "fsilu": F.silu}[act]

    def forward(self, x):
        x = F.max_pool2d(self.act(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(self.act(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc3(self.act(self.fc2(self.act(self.fc1(x)))))
"""

# A ResNet of basic blocks with the block named anything, stages as nn.Sequential, and its variants:
# WIDTHS/BLOCKS per stage, conv biases, 1x1 projection shortcuts (else option A: subsample and zero-pad).
RESNET = """
class Unit(nn.Module):
    def __init__(self, cin, cout, stride, bias, projection):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=bias)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=bias)
        self.b2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin
        self.stride = stride
        self.proj = None
        if projection and (stride != 1 or cin != cout):
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=bias), nn.BatchNorm2d(cout))

    def shortcut(self, x):
        if self.proj is not None:
            return self.proj(x)
        if self.stride == 1 and self.pad == 0:
            return x
        x = x[:, :, ::self.stride, ::self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        out = self.b2(self.c2(out))
        out += self.shortcut(x)
        return F.relu(out)

class ResNet20(nn.Module):
    def __init__(self, widths=(16, 32, 64), blocks=(3, 3, 3), bias=False, projection=False):
        super().__init__()
        self.conv = nn.Conv2d(3, widths[0], 3, 1, 1, bias=bias)
        self.bn = nn.BatchNorm2d(widths[0])
        stages, cin = [], widths[0]
        for i, (w, n) in enumerate(zip(widths, blocks)):
            units = []
            for j in range(n):
                units.append(Unit(cin, w, 2 if j == 0 and i > 0 else 1, bias, projection))
                cin = w
            stages.append(nn.Sequential(*units))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.stages(F.relu(self.bn(self.conv(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))
"""


def build(source: str, expression: str) -> t.Any:
    """The model EXPRESSION builds once SOURCE is defined, as a notebook would have it."""
    namespace: dict[str, t.Any] = {"__name__": "__main__"}
    exec(IMPORTS + source, namespace)
    return eval(expression, namespace)
