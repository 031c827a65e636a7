"""Quick submissions: one notebook that does the hostile thing, and the honest code it starts from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat

from tests.corpus.arena import Arena
from tests.corpus.cases.case import LAB1, LAB3, PREDICTIONS
from tests.corpus.cases.copies import honest_copy, predictions_text

LENET = """
import torch
import torch.nn as nn
import torch.nn.functional as F

class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, kernel_size=5)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        out = F.max_pool2d(F.relu(self.conv1(x)), 2)
        out = F.max_pool2d(F.relu(self.conv2(out)), 2)
        out = torch.flatten(out, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(out)))))
"""
TRAINING = """
import torchvision.transforms as transforms
from torch.utils.data import DataLoader
from tools.dataset import CIFAR10

normalize = transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))
transform_train = transforms.Compose([transforms.ToTensor(), normalize])
transform_val = transform_train
trainset = CIFAR10("./data", train=True, transform=transform_train)
trainloader = DataLoader(trainset, batch_size=128, shuffle=True)
valloader = DataLoader(CIFAR10("./data", train=False, transform=transform_val), batch_size=100)
EPOCHS = 1
net = LeNet5()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
best = 0.0
for epoch in range(EPOCHS):
    net.train()
    for inputs, targets in trainloader:
        optimizer.zero_grad()
        loss = criterion(net(inputs), targets)
        loss.backward()
        optimizer.step()
    net.eval()
    correct = total = 0
    with torch.no_grad():
        for inputs, targets in valloader:
            correct += (net(inputs).argmax(1) == targets).sum().item()
            total += len(targets)
    best = max(best, correct / total)
    print("Validation loss: %.4f, Validation accuracy: %.4f" % (loss.item(), correct / total))
print("==> Optimization finished! Best validation accuracy: %.4f" % best)
"""
WARNINGS = """
import sys, warnings
warnings.warn("this DataLoader will create 4 worker processes", UserWarning)
print("some library chatter on stderr", file=sys.stderr)
"""


def lab1_notebook(*cells: str | Callable[[Arena], str]) -> Callable[[Path, Arena], Path]:
    """A submission of one Lab 1 notebook made of CELLS (text, or made from the arena's paths)."""

    def build(dest: Path, arena: Arena) -> Path:
        dest.mkdir()
        sources = [cell(arena) if callable(cell) else cell for cell in cells]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
        nbformat.write(nb, dest / LAB1)
        return dest

    return build


RESNET20 = """
import torch
import torch.nn as nn
import torch.nn.functional as F

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.pad = cout - cin

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        short = x
        if self.pad or self.conv1.stride[0] != 1:  # option A: subsample and pad with zeros
            short = F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + short)

class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for index in range(3):
                blocks.append(BasicBlock(cin, cout, stride if index == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        out = self.layers(F.relu(self.bn(self.conv(x))))
        return self.fc(F.adaptive_avg_pool2d(out, 1).flatten(1))

net = ResNet20()  # never trained: predictions.csv came from elsewhere
"""


def untrained_resnet_copy(dest: Path, arena: Arena) -> Path:
    """The reference sample whose Lab 3 notebook trains nothing, with the perfect predictions.csv."""
    sub = honest_copy(dest, arena)
    cell = nbformat.v4.new_code_cell(RESNET20, execution_count=1)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), sub / LAB3)
    (sub / PREDICTIONS).write_text(predictions_text(arena, perfect=True))
    return sub


def untrained_resnet_alone(*extra: str | Callable[[Arena], str]) -> Callable[[Path, Arena], Path]:
    """Only a Lab 3 notebook that trains nothing (then EXTRA cells), and the perfect predictions.csv."""

    def build(dest: Path, arena: Arena) -> Path:
        dest.mkdir()
        sources = [RESNET20, *(cell(arena) if callable(cell) else cell for cell in extra)]
        cells = [nbformat.v4.new_code_cell(source, execution_count=i) for i, source in enumerate(sources, 1)]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), dest / LAB3)
        (dest / PREDICTIONS).write_text(predictions_text(arena, perfect=True))
        return dest

    return build
