"""Colour ops: which statistics each one keeps (per-pixel luma, image mean) and which it changes by how much."""

import math

import torch

from ganforge.augment import AugmentPipe, AugmentSpec
from ganforge.augment.color import apply_color, rotate3d, sample_color


def images(n=16, c=3):
    return torch.rand([n, c, 8, 8], generator=torch.Generator().manual_seed(0)) * 2 - 1


def run(x, **ops):
    torch.manual_seed(0)
    return AugmentPipe(AugmentSpec(**ops), p=1.0)(x)


def test_hue_and_saturation_preserve_each_pixels_luma():
    x = images()
    for op in ("hue", "saturation"):
        y = run(x, **{op: 1.0})
        assert not torch.allclose(y, x)
        torch.testing.assert_close(y.mean(dim=1), x.mean(dim=1), atol=1e-5, rtol=0)


def test_brightness_shifts_and_contrast_scales_and_lumaflip_negates_the_luma():
    x = images()
    y = run(x, brightness=1.0)
    shift = (y - x).flatten(1)
    torch.testing.assert_close(shift, shift[:, :1].expand_as(shift), atol=1e-6, rtol=0)  # one offset per sample
    assert 0.1 < shift[:, 0].std() < 0.35  # std 0.2
    y = run(x, contrast=1.0)
    ratio = (y / x).flatten(1)
    torch.testing.assert_close(ratio, ratio[:, :1].expand_as(ratio), atol=1e-4, rtol=1e-4)
    y = run(x, lumaflip=1.0)
    luma_x, luma_y = x.mean(dim=1), y.mean(dim=1)
    flipped = torch.isclose(luma_y, -luma_x, atol=1e-5).flatten(1).all(1)
    kept = torch.isclose(luma_y, luma_x, atol=1e-5).flatten(1).all(1)
    assert bool((flipped | kept).all()) and flipped.any() and kept.any()
    # the chroma part (orthogonal to the luma axis) is kept by a luma flip
    torch.testing.assert_close(y - luma_y[:, None], x - luma_x[:, None], atol=1e-5, rtol=0)


def test_hue_rotation_is_a_rotation_about_the_grey_axis():
    v = torch.full([3], 1 / math.sqrt(3))
    R = rotate3d(v, torch.tensor([2 * math.pi / 3]))[0, :3, :3]
    # 120 degrees about the grey axis permutes R -> G -> B
    torch.testing.assert_close(R, torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]]), atol=1e-6, rtol=0)
    torch.testing.assert_close(R @ R.T, torch.eye(3), atol=1e-6, rtol=0)


def test_grey_images_use_the_luma_part():
    x = images(c=1)
    assert torch.equal(run(x, hue=1.0), x) or torch.allclose(run(x, hue=1.0), x, atol=1e-6)
    C = sample_color(16, torch.device("cpu"), p=1.0, contrast=1.0, brightness=1.0)
    rgb = apply_color(x.expand(-1, 3, -1, -1), C)
    torch.testing.assert_close(apply_color(x, C), rgb.mean(dim=1, keepdim=True), atol=1e-5, rtol=0)


def test_colour_matrix_is_identity_for_unselected_samples():
    C = sample_color(64, torch.device("cpu"), p=0.2, brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1)
    identity = torch.isclose(C, torch.eye(4).expand_as(C), atol=1e-6).flatten(1).all(1)
    assert 0 < identity.float().mean() < 1


def test_alpha_passes_through_and_unselected_samples_are_exact():
    x = torch.rand([16, 4, 8, 8], generator=torch.Generator().manual_seed(1)) * 2 - 1
    torch.manual_seed(0)
    y = AugmentPipe(AugmentSpec(brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1), p=0.2)(x)
    assert torch.equal(y[:, 3], x[:, 3])
    untouched = (y == x).flatten(1).all(1)
    assert untouched.any() and not untouched.all()
