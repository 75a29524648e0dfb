"""ProGAN discriminator at full resolution, the mirror of G: ``1x1 FromRGB -> per resolution [two 3x3 convs, 2x
average-pool down] -> 4x4 block: minibatch stddev, 3x3 conv, dense, dense -> logit`` (+ class projection); leaky
ReLU 0.2 after every layer but the last, equalized learning rate everywhere, no normalisation (Karras et al. 2018)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.models.checks import block_shape, check_init_res
from ganforge.models.growing import Growable, downsample, fade
from ganforge.models.network import DiscriminatorNetwork
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.minibatch_std import MinibatchStdLayer
from ganforge.nn.shape import assert_shape


class DBlock(nn.Module):
    """One resolution of D: ``3x3 conv (C_in -> C_in), lrelu, 3x3 conv (C_in -> C_out), lrelu, 2x2 average pool``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv0 = Conv2dLayer(in_channels, in_channels, 3, activation="lrelu")
        self.conv1 = Conv2dLayer(in_channels, out_channels, 3, activation="lrelu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(self.conv1(self.conv0(x)), 2)  # [N, C_out, H / 2, W / 2]


class DEpilogue(nn.Module):
    """D's 4x4 block: ``minibatch stddev (+1 channel), 3x3 conv, lrelu, dense (C4 * h * w -> C4), lrelu``; the logit
    layer follows in :class:`Discriminator`."""

    def __init__(self, channels: int, init_res: tuple[int, int], mbstd_group_size: int) -> None:
        super().__init__()
        self.mbstd = MinibatchStdLayer(group_size=mbstd_group_size, num_channels=1)
        self.conv = Conv2dLayer(channels + 1, channels, 3, activation="lrelu")
        self.dense = FullyConnectedLayer(channels * init_res[0] * init_res[1], channels, activation="lrelu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.conv(self.mbstd(x)).flatten(1))  # [N, C4]


class Discriminator(DiscriminatorNetwork, Growable):
    """``D(img [N, img_channels, H, W], c [N, c_dim] | None) -> logits [N, 1]``.

    Growing (``growing=True``): one FromRGB per resolution; at stage ``k`` the input is average-pooled to the stage's
    size and only the blocks from there down run; during a fade-in the first block's output is blended with the
    previous stage's FromRGB of the input pooled once more (models/growing.py).

    Conditional: the projection discriminator (Miyato & Koyama 2018) adds ``<embed(c), h> / sqrt(C4)`` to the
    logit, ``h`` the 4x4 block's features.

    Args:
        c_dim: Label width (0 = unconditional).
        img_resolution: Longer image side (power of two >= 8).
        img_channels: Image channels.
        channels: ``{res: width}`` for every block ``4, 8, ..., img_resolution``.
        mbstd_group_size: Minibatch-stddev group size (clipped to the batch).
        init_res: ``(height, width)`` of the last block; ``(4, 4)`` for square images.
        growing: Build the FromRGB layers of every stage and follow ``growth_level``.
    """

    def __init__(self, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 mbstd_group_size: int = 4, init_res: tuple[int, int] = (4, 4), growing: bool = False) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        resolutions = sorted(channels, reverse=True)
        self.from_rgb = Conv2dLayer(img_channels, channels[img_resolution], 1, activation="lrelu")
        self.blocks = nn.ModuleDict({f"b{res}": DBlock(channels[res], channels[res // 2])
                                     for res in resolutions if res > 4})
        self.epilogue = DEpilogue(channels[4], self.init_res, mbstd_group_size)
        self.out = FullyConnectedLayer(channels[4], 1)
        self.embed = FullyConnectedLayer(c_dim, channels[4], bias=False) if c_dim > 0 else None
        self.growing = growing
        if growing:  # the final FromRGB keeps its name (as G's ToRGB)
            self.from_rgb_lower = nn.ModuleDict({f"b{res}": Conv2dLayer(img_channels, channels[res], 1,
                                                                        activation="lrelu")
                                                 for res in resolutions if res < img_resolution})
            self.init_growth(sorted(channels))

    def _check(self, img: torch.Tensor) -> None:
        assert_shape(img, [None, self.img_channels, *block_shape(self.img_resolution, self.init_res)], "img")

    def feature_maps(self, img: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each down block (``[N, C_res / 2, H_res / 2, W_res / 2]``), finest first."""
        self._check(img)
        return self._trunk(img)

    def _trunk(self, img: torch.Tensor) -> list[torch.Tensor]:
        """The outputs of the blocks that run at the current stage (all of them without growing), finest first."""
        maps = []
        if not self.growing:
            x = self.from_rgb(img)  # [N, C_R, H, W]
            for block in self.blocks.values():
                x = block(x)  # [N, C_res / 2, ...]
                maps.append(x)
            return maps
        stage = self.stage
        img = downsample(img, self.img_resolution // stage.resolution)  # the stage's size
        x = self._rgb(stage.resolution, img)
        for res in (r for r in sorted(self.growth_resolutions, reverse=True) if 4 < r <= stage.resolution):
            x = self.blocks[f"b{res}"](x)
            if res == stage.resolution and stage.fading:
                x = fade(self._rgb(res // 2, downsample(img, 2)), x, stage.alpha)
            maps.append(x)
        return maps if maps else [x]

    def _rgb(self, res: int, img: torch.Tensor) -> torch.Tensor:
        return self.from_rgb(img) if res == self.img_resolution else self.from_rgb_lower[f"b{res}"](img)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None, **_kwargs) -> torch.Tensor:
        self._check(img)
        x = self._trunk(img)[-1]  # [N, C4, h, w]
        h = self.epilogue(x)  # [N, C4]
        logits = self.out(h)  # [N, 1]
        if self.embed is None:
            return logits
        if c is None:
            raise ValueError(f"this discriminator is conditional (c_dim={self.c_dim}): pass labels c")
        assert_shape(c, [img.shape[0], self.c_dim], "c")
        proj = (self.embed(c.to(h.dtype)) * h).sum(dim=1, keepdim=True) / math.sqrt(h.shape[1])
        return logits + proj  # [N, 1]
