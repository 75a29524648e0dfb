"""Gaussian blur of the images D sees, with a sigma that a schedule fades out (``--schedule blur_sigma=...``).

StyleGAN3 (Karras et al. 2021, "Alias-Free Generative Adversarial Networks", Sec. D) blurs reals and fakes alike at
the start of training so that D cannot rely on high frequencies the young G cannot make yet.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def gaussian_kernel(sigma: float, device=None, dtype=torch.float32) -> torch.Tensor:
    """Normalised 1-D Gaussian ``exp(-x^2 / (2 sigma^2))`` on ``x = -r..r``, ``r = ceil(3 sigma)``: ``[2r + 1]``."""
    if not sigma > 0:
        raise ValueError(f"blur sigma must be > 0, got {sigma}")
    radius = max(int(math.ceil(3 * sigma)), 1)
    x = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    k = torch.exp(-x.square() / (2 * sigma**2))
    return k / k.sum()


def gaussian_blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``img [N, C, H, W]`` with reflect padding (same shape; differentiable)."""
    k = gaussian_kernel(sigma, img.device, img.dtype)
    r = (k.numel() - 1) // 2
    n, c, h, w = img.shape
    mode = "reflect" if r < min(h, w) else "replicate"
    x = F.pad(img, [r, r, r, r], mode=mode)
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)  # horizontal
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)  # vertical
