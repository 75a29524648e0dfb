"""The leak check's statistics: clean oriented images score ~0, the same images augmented at p = 0.3 do not.

How leaking is checked (docs/augmentation.md): the generator of a run trained with p = 0.3 produces fakes; their
``rotated`` and ``cutout`` rates (``ganforge.augment.leak``) are compared with the reals' (no leak) and with the reals
augmented at p = 0.3 (what a leaking generator would match). These tests show that the statistics separate the two
reference sets, i.e. that the check can see a leak.
"""

import torch

from ganforge.augment import AugmentPipe, AugmentSpec, augpipe_spec
from ganforge.augment.leak import cutout_fraction, leak_report, rotated_fraction


def oriented_images(n=256, res=32):
    """'Flags': a landscape rectangle (3:2) of random colours on white, jittered by a pixel or two."""
    g = torch.Generator().manual_seed(0)
    x = torch.ones([n, 3, res, res])
    for i in range(n):
        dy, dx = torch.randint(-2, 3, [2], generator=g).tolist()
        colours = torch.rand([3, 3, 1, 1], generator=g) * 2 - 1
        top, left, w = 8 + dy, 4 + dx, 24
        for band in range(3):
            x[i, :, top + band * 5:top + band * 5 + 6, left:left + w] = colours[band]
    return x


def test_rotated_fraction_is_zero_for_upright_and_one_for_turned_images():
    x = oriented_images()
    template = x.mean(0)
    assert rotated_fraction(x, template) == 0.0
    assert rotated_fraction(torch.rot90(x, 1, dims=(2, 3)), template) == 1.0
    uint8 = ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    assert rotated_fraction(uint8, uint8.float().mean(0) / 127.5 - 1) == 0.0


def test_cutout_fraction_finds_grey_squares():
    x = oriented_images(n=8)
    assert cutout_fraction(x) == 0.0
    x[:4, :, 3:19, 10:26] = 0.0
    x[4, :, 0:7, 0:7] = 0.0  # smaller than half the cutout side: not counted
    assert cutout_fraction(x) == 0.5


def test_augmentation_at_p_03_is_detected_and_clean_images_are_not():
    reals = oriented_images()
    torch.manual_seed(0)
    spec = AugmentSpec(**{**augpipe_spec("bgc").__dict__, "cutout": 1.0})
    augmented = AugmentPipe(spec, p=0.3)(reals)
    clean, leaked = leak_report(reals, reals), leak_report(augmented, reals)
    assert clean == {"rotated": 0.0, "cutout": 0.0}
    # rot90 by +-90 degrees alone gives 0.3 * 1/2 = 15 %; arbitrary rotations and luma flips (which invert the
    # correlation with the upright template) add more
    assert 0.15 < leaked["rotated"] < 0.6
    assert 0.2 < leaked["cutout"] < 0.4  # cutout at p = 0.3
