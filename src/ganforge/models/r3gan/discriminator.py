"""R3GAN discriminator, the mirror of the generator: ``1x1 conv from the image -> stages of [residual blocks,
FIR 2x down + 1x1] -> residual blocks at 4x4 -> discriminative basis -> logit`` (+ class projection). No
normalisation, no minibatch standard deviation."""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ganforge.models.checks import block_shape, check_init_res
from ganforge.models.network import DiscriminatorNetwork
from ganforge.models.r3gan.layers import Conv, DiscriminativeBasis, DownTransition, ResidualBlock
from ganforge.nn.shape import assert_shape


class Discriminator(DiscriminatorNetwork):
    """``D(img [N, img_channels, H, W], c [N, c_dim] | None) -> logits [N, 1]``.

    Unconditional: the basis head maps the 4x4 features to one logit. Conditional (projection, Miyato & Koyama
    2018): the head maps them to ``embed_dim`` features ``h`` and the logit is ``<h, embed(c)>``.

    Args: as :class:`ganforge.models.r3gan.generator.Generator` (without ``z_dim``).
    """

    def __init__(self, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 blocks_per_stage: int = 2, group_size: int = 16, expansion: int = 2, embed_dim: int = 64,
                 resample_filter: Sequence[float] = (1, 3, 3, 1), init_res: tuple[int, int] = (4, 4)) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        resolutions = sorted(channels, reverse=True)
        num_blocks = len(resolutions) * blocks_per_stage
        self.from_img = Conv(img_channels, channels[img_resolution], 1)
        stages = {}
        for res in resolutions:
            width = channels[res]
            blocks = [ResidualBlock(width, expansion, group_size, num_blocks) for _ in range(blocks_per_stage)]
            last = (DownTransition(width, channels[res // 2], resample_filter) if res > 4
                    else DiscriminativeBasis(width, embed_dim if c_dim > 0 else 1, self.init_res))
            stages[f"b{res}"] = nn.Sequential(*blocks, last)
        self.stages = nn.ModuleDict(stages)
        # Projection embedding scaled so that <h, embed(c)> starts at the variance of the unconditional logit.
        self.embed = (nn.Parameter(torch.randn(embed_dim, c_dim) / math.sqrt(c_dim * embed_dim))
                      if c_dim > 0 else None)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None, **_kwargs) -> torch.Tensor:
        assert_shape(img, [None, self.img_channels, *block_shape(self.img_resolution, self.init_res)], "img")
        x = self.from_img(img)  # [N, C_R, H, W]
        for stage in self.stages.values():
            x = stage(x)  # [N, C_res / 2, ...] after each down-stage; [N, 1 | embed_dim] after b4
        if self.embed is None:
            return x  # [N, 1]
        if c is None:
            raise ValueError(f"this discriminator is conditional (c_dim={self.c_dim}): pass labels c")
        assert_shape(c, [img.shape[0], self.c_dim], "c")
        cmap = c.to(x.dtype) @ self.embed.to(x.dtype).t()  # [N, embed_dim]
        return (x * cmap).sum(dim=1, keepdim=True)  # [N, 1]
