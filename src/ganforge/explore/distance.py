"""Image distances for projection: LPIPS-VGG when its weights are given, else a weight-free mix.

Every distance maps two image batches ``[N, C, H, W]`` in [-1, 1] to ``[N]`` (0 for identical
images) and is differentiable in both arguments.

The weight-free distance (no downloaded network) is
``pixel_weight * MSE + ssim_weight * (1 - MS-SSIM_small) + d_weight * D-feature distance``, the last
term comparing unit-normalised activations of the trained discriminator's blocks the way LPIPS compares
VGG activations (without learned heads): a discriminator trained on the data is the feature net at hand
that has seen these images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from ganforge.explore.ssim_loss import ms_ssim_small
from ganforge.models.network import DiscriminatorNetwork

Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
"""``distance(img0 [N, C, H, W], img1 [N, C, H, W]) -> [N]``."""


def pixel_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared error per image: ``[N]``."""
    return (a - b).square().mean(dim=(1, 2, 3))


def discriminator_features(D: torch.nn.Module, img: torch.Tensor) -> list[torch.Tensor]:
    """Activations after each of D's downsampling blocks (``D.feature_maps``; ``[]`` for a D that exposes none).

    Args:
        D: A discriminator (:class:`~ganforge.models.network.DiscriminatorNetwork`).
        img: ``[N, C, H, W]`` in [-1, 1].

    Returns:
        One ``[N, C_b, H_b, W_b]`` tensor per block, finest first.
    """
    return D.feature_maps(img) if isinstance(D, DiscriminatorNetwork) else []


def d_feature_distance(D: torch.nn.Module) -> Distance:
    """LPIPS-style distance on D's block activations: channel-normalised, squared difference, mean per block."""

    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        n = a.shape[0]
        total = a.new_zeros(n)
        for feat in discriminator_features(D, torch.cat([a, b])):
            feat = feat / (feat.square().sum(dim=1, keepdim=True).sqrt() + 1e-10)
            total = total + (feat[:n] - feat[n:]).square().sum(dim=1).mean(dim=(1, 2))
        return total

    return distance


def weight_free_distance(D: torch.nn.Module | None = None, *, pixel_weight: float = 1.0, ssim_weight: float = 1.0,
                         d_weight: float = 0.1) -> Distance:
    """Pixel MSE + (1 - small multi-scale SSIM) + (optionally) D-feature distance, each weighted."""
    d_dist = d_feature_distance(D) if D is not None and d_weight > 0 else None

    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        total = pixel_weight * pixel_mse(a, b) + ssim_weight * (1 - ms_ssim_small(a, b, data_range=2.0))
        if d_dist is not None:
            total = total + d_weight * d_dist(a, b)
        return total

    return distance


def lpips_distance(lpips: torch.nn.Module, max_size: int = 256) -> Distance:
    """LPIPS-VGG on 3-channel images (grey ones are repeated), area-downsampled to at most ``max_size`` px."""

    def distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.shape[1] == 1:
            a, b = a.repeat(1, 3, 1, 1), b.repeat(1, 3, 1, 1)
        if a.shape[-1] > max_size:
            a, b = F.adaptive_avg_pool2d(a, max_size), F.adaptive_avg_pool2d(b, max_size)
        return lpips(a, b)

    return distance


def make_distance(*, lpips_vgg: str | Path | None = None, lpips_heads: str | Path | None = None,
                  D: torch.nn.Module | None = None, d_weight: float = 0.1,
                  device: torch.device | str = "cpu") -> tuple[Distance, str]:
    """The projection distance and its name: LPIPS when both weight files are given, else weight-free
    (with D's features at ``d_weight`` when D is given and ``d_weight > 0``).

    Raises:
        ValueError: Only one of the two LPIPS files is given.
    """
    if (lpips_vgg is None) != (lpips_heads is None):
        raise ValueError("--lpips-vgg and --lpips-heads must be given together (VGG16 weights and LPIPS heads)")
    if lpips_vgg is not None:
        from ganforge.backbones import build_backbone

        net = build_backbone("lpips", lpips_heads, vgg16=lpips_vgg, device=device)
        return lpips_distance(net), "lpips-vgg"
    use_d = isinstance(D, DiscriminatorNetwork) and D.has_feature_maps and d_weight > 0
    return (weight_free_distance(D if use_d else None, d_weight=d_weight),
            "pixel+ms-ssim" + ("+d-features" if use_d else ""))
