"""DiffAugment: policies by name, exact zero-filled translation, cutout area, colour, gradients."""

import pytest
import torch

from ganforge.augment import DiffAugment, build_augment
from ganforge.augment.diffaugment import color, cutout, translation


def test_translation_is_an_exact_integer_shift_with_zero_fill():
    x = torch.randn([16, 3, 16, 16])
    torch.manual_seed(0)
    y = translation(x)
    for i in range(16):
        found = False
        for ty in range(-2, 3):
            for tx in range(-2, 3):
                shifted = torch.zeros_like(x[i])
                src = x[i, :, max(-ty, 0):16 - max(ty, 0), max(-tx, 0):16 - max(tx, 0)]
                shifted[:, max(ty, 0):16 - max(-ty, 0), max(tx, 0):16 - max(-tx, 0)] = src
                found = found or torch.equal(y[i], shifted)
        assert found, f"sample {i} is not an integer shift of at most 2 pixels"


def test_cutout_zeroes_a_quarter_of_the_image_at_most():
    x = torch.ones([32, 3, 16, 16])
    torch.manual_seed(0)
    y = cutout(x)
    zero_frac = (y == 0).float().mean(dim=[1, 2, 3])
    assert bool((zero_frac <= 0.25 + 1e-6).all()) and bool((zero_frac > 0).all())
    assert zero_frac.max() == pytest.approx(0.25)


def test_color_changes_brightness_saturation_contrast():
    x = torch.rand([8, 3, 8, 8]) * 2 - 1
    torch.manual_seed(0)
    y = color(x)
    assert not torch.allclose(y, x)
    grey = torch.zeros([4, 3, 8, 8]) + 0.2
    torch.manual_seed(0)
    out = color(grey)  # a flat image stays flat (only brightness moves it)
    assert (out - out[:, :, :1, :1]).abs().max() < 1e-6


def test_policies_and_gradients():
    pipe = build_augment("diffaug", diffaug_policy="color,translation,cutout")
    assert isinstance(pipe, DiffAugment) and pipe.names == ["color", "translation", "cutout"]
    x = torch.randn([2, 3, 8, 8], dtype=torch.float64, requires_grad=True)

    def f(inp):
        torch.manual_seed(2)
        return pipe(inp)

    assert torch.autograd.gradcheck(f, (x,), fast_mode=True)
    with pytest.raises(ValueError, match="rotation"):
        DiffAugment("color,rotation")
    with pytest.raises(ValueError, match="diffaug-policy"):
        DiffAugment(" , ")
