"""Additive RGB noise and cutout of ADA (Karras et al. 2020, app. B.5; cutout after DeVries & Taylor 2017)."""

from __future__ import annotations

import torch


def add_noise(images: torch.Tensor, *, p: float, noise: float = 0.0, noise_std: float = 0.1) -> torch.Tensor:
    """``images [N, C, H, W]`` + Gaussian noise whose per-sample std is ``|N(0, noise_std)|`` (probability
    ``noise * p``); unselected samples are returned bit-exactly."""
    n = images.shape[0]
    on = (torch.rand([n, 1, 1, 1], device=images.device) < noise * p).to(images.dtype)
    sigma = torch.randn([n, 1, 1, 1], device=images.device).abs().to(images.dtype) * noise_std * on
    return images + torch.randn_like(images) * sigma


def cutout_mask(n: int, height: int, width: int, device: torch.device, *, p: float, cutout: float = 0.0,
                cutout_size: float = 0.5) -> torch.Tensor:
    """``[N, 1, H, W]`` mask: 0 inside a square of side ``cutout_size`` (fraction of the image) at a uniform random
    centre for samples chosen with probability ``cutout * p``, 1 elsewhere."""
    on = torch.rand([n, 1, 1, 1], device=device) < cutout * p
    centre = torch.rand([n, 2, 1, 1], device=device)
    ys = ((torch.arange(height, device=device) + 0.5) / height).reshape(1, 1, height, 1)
    xs = ((torch.arange(width, device=device) + 0.5) / width).reshape(1, 1, 1, width)
    outside = ((xs - centre[:, :1]).abs() >= cutout_size / 2) | ((ys - centre[:, 1:]).abs() >= cutout_size / 2)
    return (outside | ~on).float()


def apply_cutout(images: torch.Tensor, *, p: float, cutout: float = 0.0, cutout_size: float = 0.5) -> torch.Tensor:
    """``images [N, C, H, W]`` with a cut-out square (set to 0, mid-grey) in the chosen samples."""
    N, _, H, W = images.shape
    return images * cutout_mask(N, H, W, images.device, p=p, cutout=cutout, cutout_size=cutout_size).to(images.dtype)
