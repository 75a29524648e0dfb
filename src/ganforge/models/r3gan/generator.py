"""R3GAN generator: ``z (+ class embedding) -> generative basis (4x4) -> stages of [FIR 2x up + 1x1, residual
blocks] -> 1x1 conv to the image``. No mapping network, no noise inputs, no normalisation."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ganforge.models.checks import check_init_res
from ganforge.models.network import GeneratorCaps, GeneratorNetwork
from ganforge.models.r3gan.layers import Conv, GenerativeBasis, ResidualBlock, UpTransition
from ganforge.nn.shape import assert_shape


class Generator(GeneratorNetwork):
    """``G(z [N, z_dim], c [N, c_dim] | None) -> img [N, img_channels, H, W]`` (linear output, about [-1, 1]).

    Args:
        z_dim: Latent width.
        c_dim: Label width (0 = unconditional).
        img_resolution: Longer image side (power of two >= 8).
        img_channels: Image channels.
        channels: ``{res: width}`` for every stage ``4, 8, ..., img_resolution``.
        blocks_per_stage: Residual blocks after each stage's transition.
        group_size: Channels per group of the grouped 3x3 conv.
        expansion: Inverted-bottleneck expansion factor.
        embed_dim: Class-embedding width (conditional only; appended to z).
        resample_filter: FIR taps of the 2x upsampling.
        init_res: ``(height, width)`` of the basis; ``(4, 4)`` for square images.

    Extra keyword arguments of the StyleGAN call convention (``noise_mode``, ``truncation_psi``) are accepted and
    ignored.
    """

    def __init__(self, z_dim: int, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 blocks_per_stage: int = 2, group_size: int = 16, expansion: int = 2, embed_dim: int = 64,
                 resample_filter: Sequence[float] = (1, 3, 3, 1), init_res: tuple[int, int] = (4, 4)) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.z_dim, self.c_dim = z_dim, c_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        resolutions = sorted(channels)
        num_blocks = len(resolutions) * blocks_per_stage  # L of the fix-up rule, counted over all of G
        self.embed = nn.Parameter(torch.randn(embed_dim, c_dim) / math.sqrt(c_dim)) if c_dim > 0 else None
        in_dim = z_dim + (embed_dim if c_dim > 0 else 0)
        stages = {}
        for i, res in enumerate(resolutions):
            width = channels[res]
            first = (GenerativeBasis(in_dim, width, self.init_res) if i == 0
                     else UpTransition(channels[resolutions[i - 1]], width, resample_filter))
            blocks = [ResidualBlock(width, expansion, group_size, num_blocks) for _ in range(blocks_per_stage)]
            stages[f"b{res}"] = nn.Sequential(first, *blocks)
        self.stages = nn.ModuleDict(stages)
        self.to_img = Conv(channels[img_resolution], img_channels, 1)

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps()

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, **_style_kwargs) -> torch.Tensor:
        assert_shape(z, [None, self.z_dim], "z")
        if self.embed is not None:
            if c is None:
                raise ValueError(f"this generator is conditional (c_dim={self.c_dim}): pass labels c")
            assert_shape(c, [z.shape[0], self.c_dim], "c")
            z = torch.cat([z, c.to(z.dtype) @ self.embed.to(z.dtype).t()], dim=1)  # [N, z_dim + embed_dim]
        x = z
        for stage in self.stages.values():
            x = stage(x)  # [N, C_res, h * res / 4, w * res / 4]
        return self.to_img(x)  # [N, img_channels, H, W]
