"""Leak check: does a generator trained with augmented D inputs produce augmented-looking images itself?

ADA's claim (Karras et al. 2020, sec. 2.2) is that augmentations applied with ``p < ~0.8`` do not *leak*: the
generated distribution stays the clean one. We measure two symptoms of leaking on image sets (reals, augmented
reals, fakes), so that the fakes' rates can be compared with the reals' (no leak) and the augmented reals' (leak):

* ``rotated``: fraction of images that correlate better with the reals' mean image turned by 90 degrees (either
  way) than with the upright one. Catches 90-degree and large arbitrary rotations (180 degrees is invisible to it
  when the mean image is symmetric under it, e.g. flags);
* ``cutout``: fraction of images holding a square of half the cutout side (``cutout_size / 2`` of the image side:
  the part of a cut-out square that is always on the image, wherever its centre falls) that is (almost) exactly
  mid-grey, the value cutout writes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` in [0, 255] or float in [-1, 1] -> float in [-1, 1]."""
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1
    return images.float()


def rotated_fraction(images: torch.Tensor, template: torch.Tensor) -> float:
    """Fraction of ``images [N, C, H, W]`` closer (correlation) to ``template [C, H, W]`` turned by +-90 degrees than
    to the upright template."""
    x = _as_float(images)
    x = x - x.mean(dim=[1, 2, 3], keepdim=True)
    t = _as_float(template[None])[0]
    t = t - t.mean()

    def corr(a: torch.Tensor) -> torch.Tensor:  # [N]
        return (x * a).flatten(1).sum(1) / (x.flatten(1).norm(dim=1) * a.norm() + 1e-8)

    upright = corr(t)
    turned = torch.maximum(corr(torch.rot90(t, 1, dims=(1, 2))), corr(torch.rot90(t, -1, dims=(1, 2))))
    return float((turned > upright).float().mean())


def cutout_fraction(images: torch.Tensor, cutout_size: float = 0.5, tol: float = 0.02, coverage: float = 0.95) -> float:
    """Fraction of ``images [N, C, H, W]`` with a square of side ``cutout_size * H / 2`` in which at least ``coverage``
    of the pixels are within ``tol`` of mid-grey (0 in [-1, 1]) in every channel."""
    x = _as_float(images)
    grey = (x.abs() <= tol).all(dim=1, keepdim=True).float()  # [N, 1, H, W]
    k = max(int(round(cutout_size * x.shape[2] / 2)), 1)
    frac = F.avg_pool2d(grey, k, stride=1)  # share of grey pixels in every k x k window
    return float((frac.flatten(1).amax(dim=1) >= coverage).float().mean())


def leak_report(images: torch.Tensor, reals: torch.Tensor, cutout_size: float = 0.5) -> dict[str, float]:
    """``{"rotated": ..., "cutout": ...}`` for ``images`` with the template taken from ``reals [M, C, H, W]``."""
    template = _as_float(reals).mean(dim=0)
    return {"rotated": rotated_fraction(images, template), "cutout": cutout_fraction(images, cutout_size)}
