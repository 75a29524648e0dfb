"""ProGAN generator at full resolution: ``pixel-normalised z (+ class embedding) -> dense to 4x4 -> 3x3 conv ->
per resolution [2x nearest up, two 3x3 convs] -> 1x1 ToRGB``; leaky ReLU 0.2 and pixel norm after every conv, and
equalized learning rate in every layer (Karras et al. 2018, sec. 4)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.models.checks import check_init_res
from ganforge.models.growing import Growable, fade, upsample
from ganforge.models.network import GeneratorCaps, GeneratorNetwork
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.pixel_norm import PixelNorm, normalize_2nd_moment
from ganforge.nn.shape import assert_shape


class GBlock(nn.Module):
    """One resolution of G: ``2x nearest upsample, [3x3 conv, lrelu 0.2, pixel norm] x 2``."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv0 = Conv2dLayer(in_channels, out_channels, 3, activation="lrelu")
        self.conv1 = Conv2dLayer(out_channels, out_channels, 3, activation="lrelu")
        self.norm = PixelNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")  # [N, C_in, 2H, 2W]
        x = self.norm(self.conv0(x))
        return self.norm(self.conv1(x))  # [N, C_out, 2H, 2W]


class GEpilogue(nn.Module):
    """G's 4x4 block: ``dense (latent -> C4 * h * w), lrelu, pixel norm, 3x3 conv, lrelu, pixel norm``."""

    def __init__(self, in_dim: int, channels: int, init_res: tuple[int, int]) -> None:
        super().__init__()
        self.channels, self.init_res = channels, init_res
        self.dense = FullyConnectedLayer(in_dim, channels * init_res[0] * init_res[1], activation="lrelu")
        self.conv = Conv2dLayer(channels, channels, 3, activation="lrelu")
        self.norm = PixelNorm()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dense(x).reshape(-1, self.channels, *self.init_res)  # [N, C4, h, w]
        return self.norm(self.conv(self.norm(x)))


class Generator(GeneratorNetwork, Growable):
    """``G(z [N, z_dim], c [N, c_dim] | None) -> img [N, img_channels, H, W]`` (linear output, about [-1, 1]).

    Growing (``growing=True``): one ToRGB per resolution; at level ``k + alpha`` (models/growing.py) the blocks up to
    stage ``k + 1`` run, the output fades from the previous stage's ToRGB (upsampled 2x) to the new one, and the image
    is upsampled (nearest) to the full size.

    Args:
        z_dim: Latent width.
        c_dim: Label width (0 = unconditional; else an equalized-lr embedding of c, pixel-normalised, is concatenated
            to the normalised z).
        img_resolution: Longer image side (power of two >= 8).
        img_channels: Image channels.
        channels: ``{res: width}`` for every block ``4, 8, ..., img_resolution``.
        init_res: ``(height, width)`` of the first block; ``(4, 4)`` for square images.
        growing: Build the ToRGB layers of every stage and follow ``growth_level``.

    Extra keyword arguments of the StyleGAN call convention (``noise_mode``, ``truncation_psi``) are accepted and
    ignored.
    """

    def __init__(self, z_dim: int, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 init_res: tuple[int, int] = (4, 4), growing: bool = False) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.z_dim, self.c_dim = z_dim, c_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.embed = FullyConnectedLayer(c_dim, z_dim) if c_dim > 0 else None
        in_dim = z_dim * 2 if c_dim > 0 else z_dim
        resolutions = sorted(channels)
        blocks = {"b4": GEpilogue(in_dim, channels[4], self.init_res)}
        for prev, res in zip(resolutions[:-1], resolutions[1:]):
            blocks[f"b{res}"] = GBlock(channels[prev], channels[res])
        self.blocks = nn.ModuleDict(blocks)
        self.to_rgb = Conv2dLayer(channels[img_resolution], img_channels, 1, activation="linear")
        self.growing = growing
        if growing:  # the final ToRGB keeps its name: a grown network loads into a non-growing one
            self.to_rgb_lower = nn.ModuleDict({f"b{res}": Conv2dLayer(channels[res], img_channels, 1)
                                               for res in resolutions[:-1]})
            self.init_growth(resolutions)

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps()

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, **_style_kwargs) -> torch.Tensor:
        assert_shape(z, [None, self.z_dim], "z")
        x = normalize_2nd_moment(z)  # [N, z_dim] on the unit sphere * sqrt(z_dim)
        if self.embed is not None:
            if c is None:
                raise ValueError(f"this generator is conditional (c_dim={self.c_dim}): pass labels c")
            assert_shape(c, [z.shape[0], self.c_dim], "c")
            x = torch.cat([x, normalize_2nd_moment(self.embed(c.to(z.dtype)))], dim=1)  # [N, 2 * z_dim]
        if not self.growing:
            for block in self.blocks.values():
                x = block(x)  # [N, C_res, h * res / 4, w * res / 4]
            return self.to_rgb(x)  # [N, img_channels, H, W]
        stage = self.stage
        prev = x
        for block in list(self.blocks.values())[:stage.index + 1]:
            prev, x = x, block(x)
        img = self._rgb(stage.index, x)  # [N, img_channels, h * res / 4, w * res / 4]
        if stage.fading:
            img = fade(upsample(self._rgb(stage.index - 1, prev), 2), img, stage.alpha)
        return upsample(img, self.img_resolution // stage.resolution)  # [N, img_channels, H, W]

    def _rgb(self, index: int, x: torch.Tensor) -> torch.Tensor:
        res = self.growth_resolutions[index]
        return self.to_rgb(x) if res == self.img_resolution else self.to_rgb_lower[f"b{res}"](x)
