"""Geometric ops: exact pixel blitting, constant images stay constant, resampling agrees with blitting."""

import math

import torch
import torch.nn.functional as F

from ganforge.augment import AugmentPipe, AugmentSpec, augpipe_spec
from ganforge.augment.geometric import apply_geometric, blit, resample, rotate2d, rotate2d_cs, scale2d, translate2d


def smooth(n=2, res=32):
    yy, xx = torch.meshgrid(torch.arange(res).float(), torch.arange(res).float(), indexing="ij")
    img = torch.stack([torch.sin(xx * 0.3 + k) + torch.cos(yy * 0.25 - k) for k in range(3)]) / 2
    return img[None].repeat(n, 1, 1, 1)


def test_integer_translation_is_exact_with_reflect_border():
    x = torch.randn([2, 3, 16, 16])
    tx, ty = torch.tensor([2.0, -3.0]), torch.tensor([-1.0, 4.0])
    y = blit(x, translate2d(-tx, -ty))  # G_inv of a translation by (tx, ty)
    pad = F.pad(x, [4, 4, 4, 4], mode="reflect")
    for i in range(2):
        ox, oy = int(tx[i]), int(ty[i])
        expected = pad[i, :, 4 - oy:4 - oy + 16, 4 - ox:4 - ox + 16]
        assert torch.equal(y[i], expected)


def test_flip_and_rotate90_are_exact_permutations():
    x = torch.randn([1, 3, 8, 8])
    assert torch.equal(blit(x, scale2d(torch.tensor([-1.0]), torch.tensor([1.0]))), x.flip(3))
    quarter = rotate2d_cs(torch.tensor([0.0]), torch.tensor([1.0]))
    y = x
    for _ in range(4):
        y = blit(y, quarter)
    assert torch.equal(y, x)
    assert torch.equal(blit(x, quarter @ quarter), x.flip(2, 3))


def test_blit_pipeline_output_is_a_pixel_permutation():
    """xflip + rot90 + integer translation: each output pixel is exactly some input pixel (no interpolation)."""
    x = torch.randn([8, 1, 16, 16])
    torch.manual_seed(0)
    y = AugmentPipe(augpipe_spec("blit"), p=1.0)(x)
    for i in range(8):
        values = set(x[i].flatten().tolist())
        assert all(v in values for v in y[i].flatten().tolist())


def test_geometric_ops_keep_a_constant_image_constant():
    x = torch.full([16, 3, 32, 32], 0.37)
    torch.manual_seed(0)
    y = AugmentPipe(augpipe_spec("bg"), p=1.0)(x)
    assert (y[..., 2:-2, 2:-2] - 0.37).abs().max() < 1e-5
    assert (y - 0.37).abs().max() < 1e-4  # reflect padding + extended grid: even the border stays put


def test_resampling_identity_and_integer_shift_match_blitting_on_smooth_images():
    x = smooth()
    eye = torch.eye(3).expand(2, 3, 3)
    assert (resample(x, eye) - x)[..., 4:-4, 4:-4].abs().max() < 0.01
    T = translate2d(torch.tensor([-1.0, 2.0]), torch.tensor([3.0, 0.0]))
    assert (resample(x, T) - blit(x, T))[..., 4:-4, 4:-4].abs().max() < 0.02
    R = rotate2d(torch.tensor([math.pi / 2, -math.pi / 2]))
    R_exact = rotate2d_cs(torch.tensor([0.0, 0.0]), torch.tensor([1.0, -1.0]))
    assert (resample(x, R) - blit(x, R_exact))[..., 4:-4, 4:-4].abs().max() < 0.02


def test_scaling_zooms_about_the_centre():
    """G_inv = scale 1/2 reads the central half of the image: a centred blob gets twice as wide."""
    yy, xx = torch.meshgrid(torch.arange(32).float() + 0.5 - 16, torch.arange(32).float() + 0.5 - 16, indexing="ij")
    blob = torch.exp(-(xx**2 + yy**2) / (2 * 3.0**2))[None, None]
    y = resample(blob, scale2d(torch.tensor([0.5]), torch.tensor([0.5])))
    expected = torch.exp(-(xx**2 + yy**2) / (2 * 6.0**2))
    assert (y[0, 0] - expected).abs().max() < 0.02


def test_untouched_samples_are_returned_exactly():
    x = torch.randn([3, 3, 16, 16])
    G_inv = torch.eye(3).expand(3, 3, 3).clone()
    G_inv[1] = scale2d(torch.tensor([1.3]), torch.tensor([0.9]))[0]
    general = torch.tensor([False, True, False])
    y = apply_geometric(x, G_inv, general)
    assert torch.equal(y[0], x[0]) and torch.equal(y[2], x[2]) and not torch.allclose(y[1], x[1])


def test_only_general_ops_resample():
    """A pipe with only pixel blitting never interpolates, even at p = 1 with many samples."""
    x = torch.randn([32, 3, 8, 8])
    torch.manual_seed(1)
    y = AugmentPipe(AugmentSpec(xint=1.0), p=1.0)(x)
    assert not torch.equal(y, x)
    values = set(x.flatten().tolist())
    assert all(v in values for v in y.flatten().tolist())
