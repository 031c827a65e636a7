"""The F19 import path: ``from tools.dataloader import CIFAR10`` is the same loader as tools.dataset."""

from tools.dataset import CIFAR10

__all__ = ["CIFAR10"]
