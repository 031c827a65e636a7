"""VGG-A (VGG-11) shrunk for 32x32 CIFAR images, following the Fudan NNDL Project-2 ``models/vgg.py``.

Five max-pools take 32x32 down to 1x1, so the classifier sees 512 features and uses 512-wide hidden
layers instead of the 4096 of the ImageNet network. Without BatchNorm it has 9,750,922 parameters.
"""

from torch import Tensor, nn

VGG_A_CONFIG: tuple[int | str, ...] = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def make_features(config: tuple[int | str, ...], batch_norm: bool, in_channels: int = 3) -> nn.Sequential:
    """conv3x3 (padding 1) [+ BatchNorm2d] + ReLU per number, 2x2 max-pool per ``"M"``."""
    layers: list[nn.Module] = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
            continue
        layers.append(nn.Conv2d(in_channels, int(item), 3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(int(item)))
        layers.append(nn.ReLU(inplace=True))
        in_channels = int(item)
    return nn.Sequential(*layers)


def init_weights(module: nn.Module) -> None:
    """Per-module initialiser for ``model.apply``.

    Convs get Kaiming normal (fan-out, ReLU gain) because each one feeds a ReLU; the upstream helper uses
    Xavier normal there, which trains too but shrinks activations layer by layer without BatchNorm. Linear
    layers keep upstream's Xavier normal, and BatchNorm starts as the identity (gamma 1, beta 0).
    """
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
    elif isinstance(module, nn.Linear):
        nn.init.xavier_normal_(module.weight)
    elif isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
        nn.init.ones_(module.weight)
    else:
        return
    nn.init.zeros_(module.bias)


class VGG_A(nn.Module):
    """Plain VGG-A, the baseline of the BatchNorm experiment; named as upstream so student imports work."""

    batch_norm = False

    def __init__(self, in_channels: int = 3, num_classes: int = 10, initialize: bool = True) -> None:
        super().__init__()
        self.features = make_features(VGG_A_CONFIG, self.batch_norm, in_channels)
        self.classifier = nn.Sequential(
            nn.Linear(512, 512),
            nn.ReLU(inplace=True),
            nn.Linear(512, 512),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_classes),
        )
        if initialize:
            self.apply(init_weights)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x).flatten(1))


class VGG_A_BatchNorm(VGG_A):
    """VGG-A with BatchNorm2d between every conv and its ReLU; the classifier is unchanged, as upstream."""

    batch_norm = True
