"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").

A fixed (not adaptive) set of cheap differentiable transforms applied to every image D sees, always on:

* ``color``: brightness offset ``U(-0.5, 0.5)``, saturation (scale about the per-pixel channel mean by ``U(0, 2)``),
  contrast (scale about the image mean by ``U(0.5, 1.5)``);
* ``translation``: integer shift by up to 1/8 of the image size, zero-filled (i.e. mid-grey in [-1, 1]);
* ``cutout``: a square of half the image size at a random position set to 0.

Draws come from torch's global generator.
"""

from __future__ import annotations

import torch

from ganforge.augment.corruption import cutout_mask
from ganforge.registry import Registry

POLICIES: Registry = Registry("DiffAugment policy (--diffaug-policy)")


@POLICIES.register("color")
def color(x: torch.Tensor) -> torch.Tensor:
    """Brightness, saturation and contrast, one random factor each per sample."""
    n = x.shape[0]
    x = x + (torch.rand([n, 1, 1, 1], device=x.device, dtype=x.dtype) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand([n, 1, 1, 1], device=x.device, dtype=x.dtype) * 2) + mean
    mean = x.mean(dim=[1, 2, 3], keepdim=True)
    return (x - mean) * (torch.rand([n, 1, 1, 1], device=x.device, dtype=x.dtype) + 0.5) + mean


@POLICIES.register("translation")
def translation(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Integer shift of each sample by up to ``ratio`` of the image size, zero-filled."""
    N, C, H, W = x.shape
    sx, sy = int(W * ratio + 0.5), int(H * ratio + 0.5)
    tx = torch.randint(-sx, sx + 1, [N, 1, 1], device=x.device)
    ty = torch.randint(-sy, sy + 1, [N, 1, 1], device=x.device)
    gy = torch.arange(H, device=x.device).reshape(1, H, 1) - ty  # [N, H, 1] source rows
    gx = torch.arange(W, device=x.device).reshape(1, 1, W) - tx  # [N, 1, W] source columns
    inside = ((gy >= 0) & (gy < H) & (gx >= 0) & (gx < W)).to(x.dtype)  # [N, H, W]
    index = (gy.clamp(0, H - 1) * W + gx.clamp(0, W - 1)).reshape(N, 1, H * W).expand(N, C, H * W)
    return x.reshape(N, C, H * W).gather(2, index).reshape(N, C, H, W) * inside[:, None]


@POLICIES.register("cutout")
def cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """A ``ratio``-sized square at a random centre set to 0 in every sample."""
    N, _, H, W = x.shape
    return x * cutout_mask(N, H, W, x.device, p=1.0, cutout=1.0, cutout_size=ratio).to(x.dtype)


class DiffAugment(torch.nn.Module):
    """``augment(images [N, C, H, W]) -> [N, C, H, W]`` with the policies named in ``policy`` (comma separated)."""

    def __init__(self, policy: str = "color,translation,cutout"):
        super().__init__()
        self.names = [name.strip() for name in policy.split(",") if name.strip()]
        if not self.names:
            raise ValueError("--diffaug-policy must name at least one of: " + ", ".join(POLICIES.names()))
        self.ops = [POLICIES.get(name) for name in self.names]

    def extra_repr(self) -> str:
        return f"policy={','.join(self.names)}"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        for op in self.ops:
            images = op(images)
        return images
