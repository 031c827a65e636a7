import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from reference.train.augment import augment, random_crop, random_flip
from reference.train.tensors import CIFAR10_MEAN, CIFAR10_STD, normalize, to_device


def batch(n: int = 16, seed: int = 0) -> torch.Tensor:
    images = np.random.default_rng(seed).integers(1, 256, size=(n, 32, 32, 3), dtype=np.uint8)
    return to_device(images, None, torch.device("cpu")).images


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_crop_keeps_shape_and_dtype() -> None:
    images = batch()
    out = random_crop(images, 4, gen())
    assert out.shape == images.shape and out.dtype == torch.uint8


def test_no_padding_and_no_flip_is_identity() -> None:
    images = batch()
    assert augment(images, 0, 0.0, gen()) is images
    assert torch.equal(random_crop(images, 0, gen()), images)
    assert torch.equal(random_flip(images, 0.0, gen()), images)


def test_flip_mirrors_left_right() -> None:
    images = batch()
    assert torch.equal(random_flip(images, 1.0, gen()), images.flip(3))


def test_flip_probability_is_respected() -> None:
    images = batch(n=2000)
    flipped = (random_flip(images, 0.5, gen()) != images).flatten(1).any(1).float().mean().item()
    assert 0.45 < flipped < 0.55


def test_crop_is_a_window_of_the_zero_padded_image_at_every_offset() -> None:
    images = batch(n=300)
    padding = 2
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    out = random_crop(images, padding, gen())
    seen = set()
    for i in range(len(images)):
        matches = [
            (dy, dx)
            for dy in range(2 * padding + 1)
            for dx in range(2 * padding + 1)
            if torch.equal(out[i], padded[i, :, dy : dy + 32, dx : dx + 32])
        ]
        assert len(matches) == 1
        seen.add(matches[0])
    assert len(seen) == (2 * padding + 1) ** 2


def test_crop_and_flip_together_give_a_mirrored_window() -> None:
    images = batch(n=50)
    padding = 3
    padded = torch.nn.functional.pad(images, (padding,) * 4)
    out = augment(images, padding, 1.0, gen())
    for i in range(len(images)):
        windows = [
            padded[i, :, dy : dy + 32, dx : dx + 32].flip(2)
            for dy in range(2 * padding + 1)
            for dx in range(2 * padding + 1)
        ]
        assert any(torch.equal(out[i], w) for w in windows)


def test_same_generator_seed_same_augmentation() -> None:
    images = batch()
    assert torch.equal(augment(images, 4, 0.5, gen(3)), augment(images, 4, 0.5, gen(3)))
    assert not torch.equal(augment(images, 4, 0.5, gen(3)), augment(images, 4, 0.5, gen(4)))


@pytest.mark.parametrize("fmt", [torch.contiguous_format, torch.channels_last])
def test_normalize_matches_torchvision(fmt: torch.memory_format) -> None:
    images = np.random.default_rng(1).integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
    reference = transforms.Compose([transforms.ToTensor(), transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    expected = torch.stack([reference(Image.fromarray(image)) for image in images])
    got = normalize(to_device(images, None, torch.device("cpu")).images, fmt)
    assert got.is_contiguous(memory_format=fmt)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)
