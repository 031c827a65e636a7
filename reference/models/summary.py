"""Model size and cost figures the grader compares against the handout's design notes."""

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Trainable parameters only, the figure the handout quotes (BatchNorm running stats are buffers)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _layer_macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-accumulates of one Conv2d or Linear call, biases not counted."""
    if isinstance(module, nn.Conv2d):
        kernel_h, kernel_w = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kernel_h * kernel_w
    assert isinstance(module, nn.Linear)
    return output.numel() * module.in_features


def count_macs(model: nn.Module, input_size: tuple[int, ...] = (1, 3, 32, 32)) -> int:
    """MACs of the Conv2d and Linear layers for one forward pass on a batch of ``input_size``.

    Runs in eval mode, so a batch of one works with BatchNorm1d, and restores the model's mode after.
    Pooling, activations and BatchNorm are left out, as is usual when quoting CNN cost.
    """
    total = 0

    def hook(module: nn.Module, _inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        total += _layer_macs(module, output)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]
    reference = next(model.parameters())
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(input_size, device=reference.device, dtype=reference.dtype))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total
