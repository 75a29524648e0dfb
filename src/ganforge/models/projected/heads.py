"""The trainable part of a projected discriminator: one small head per feature scale (Sauer et al. 2021, sec. 3).

A head is a stack of strided 4x4 convs with spectral norm and LeakyReLU(0.2) down to 8x8 (or the map's size when it is
smaller), then a 4x4 conv without padding that gives a grid of patch logits (5x5 from an 8x8 map). Conditional heads
end in ``cmap_dim`` channels instead of one and score each patch by projection onto a class embedding (Miyato & Koyama
2018), ``<h, embed(c)> / sqrt(cmap_dim)``. Unlike the paper's heads there is no BatchNorm: a sample's logits then
depend on that sample only (R1, the loop's separate real/fake passes and exact resume need no batch statistics).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.nn.shape import assert_shape

END_RES = 8
"""Heads downsample to this resolution before the final patch-logit conv (the paper's 8x8 -> 5x5 patches)."""


class ScaleHead(nn.Module):
    """``feat [N, in_channels, res, res]`` (+ ``c [N, c_dim]``) -> patch logits ``[N, P]``.

    Args:
        in_channels: Width of the feature map.
        res: Its (square) size.
        channels: Width after the first strided conv; doubles per conv up to ``4 * channels``.
        c_dim: Label width (0 = unconditional).
        cmap_dim: Width of the class projection.
    """

    def __init__(self, in_channels: int, res: int, channels: int, c_dim: int = 0, cmap_dim: int = 64) -> None:
        super().__init__()
        self.in_channels, self.res, self.c_dim, self.cmap_dim = in_channels, res, c_dim, cmap_dim
        layers, cin, width = [], in_channels, channels
        while res > END_RES:
            layers += [spectral_norm(nn.Conv2d(cin, width, 4, 2, 1)), nn.LeakyReLU(0.2)]
            cin, res, width = width, res // 2, min(width * 2, 4 * channels)
        kernel = min(4, res)
        out = cmap_dim if c_dim > 0 else 1
        layers.append(spectral_norm(nn.Conv2d(cin, out, kernel, 1, 0)))
        self.body = nn.Sequential(*layers)
        self.num_patches = (res - kernel + 1) ** 2
        self.embed = spectral_norm(nn.Linear(c_dim, cmap_dim)) if c_dim > 0 else None

    def forward(self, feat: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        assert_shape(feat, [None, self.in_channels, self.res, self.res], "feat")
        h = self.body(feat)  # [N, 1 | cmap_dim, p, p]
        if self.embed is None:
            return h.flatten(1)  # [N, P]
        cmap = self.embed(c.to(h.dtype))  # [N, cmap_dim]
        return (h * cmap[:, :, None, None]).sum(dim=1).flatten(1) / math.sqrt(self.cmap_dim)  # [N, P]
