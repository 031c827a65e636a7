"""LeNet-5 as in Table 1 of the handout, with the optional BatchNorm and Swish variants of the lab."""

import torch
from torch import nn

from .activations import make_activation

IMAGE_SIDE = 32


class TwoStageConvNet(nn.Module):
    """Two conv/ReLU/max-pool stages and a 120-84-classes MLP: the topology LeNet-5 and SimpleNN share.

    Convolutions are unpadded, so the flattened width follows from the kernel sizes. With ``batch_norm`` a
    BatchNorm (``bn1``..``bn4``) sits between every layer but the last and its activation; the attributes
    exist only in that variant so the plain model matches the handout's layer list exactly.
    """

    def __init__(
        self,
        channels: tuple[int, int],
        kernel_sizes: tuple[int, int],
        batch_norm: bool = False,
        activation: str = "relu",
        num_classes: int = 10,
    ) -> None:
        super().__init__()
        (c1, c2), (k1, k2) = channels, kernel_sizes
        side = ((IMAGE_SIDE - k1 + 1) // 2 - k2 + 1) // 2
        self.batch_norm = batch_norm
        self.conv1 = nn.Conv2d(3, c1, k1)
        self.conv2 = nn.Conv2d(c1, c2, k2)
        self.fc1 = nn.Linear(c2 * side * side, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)
        if batch_norm:
            self.bn1 = nn.BatchNorm2d(c1)
            self.bn2 = nn.BatchNorm2d(c2)
            self.bn3 = nn.BatchNorm1d(120)
            self.bn4 = nn.BatchNorm1d(84)
        self.act = make_activation(activation)
        self.pool = nn.MaxPool2d(2, 2)

    def _norm(self, x: torch.Tensor, index: int) -> torch.Tensor:
        """Let both variants share one forward pass."""
        return getattr(self, f"bn{index}")(x) if self.batch_norm else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.act(self._norm(self.conv1(x), 1)))
        x = self.pool(self.act(self._norm(self.conv2(x), 2)))
        x = torch.flatten(x, 1)
        x = self.act(self._norm(self.fc1(x), 3))
        x = self.act(self._norm(self.fc2(x), 4))
        return self.fc3(x)


class LeNet5(TwoStageConvNet):
    """LeNet-5 for 32x32 RGB: 6 and 16 maps of 5x5 kernels, 16*5*5 = 400 features; 62,006 parameters."""

    def __init__(self, batch_norm: bool = False, activation: str = "relu", num_classes: int = 10) -> None:
        super().__init__((6, 16), (5, 5), batch_norm, activation, num_classes)
