"""FastGAN-lite generator (Liu et al. 2021, sec. 3.1; the lightweight G of Projected GANs, Sauer et al. 2021):
``z -> 4x4 (transposed conv + BN + GLU) -> per doubling: nearest 2x up, 3x3 conv, BN, GLU -> 3x3 conv, tanh``, with
skip-layer excitation (SLE) gating a high-resolution map channel-wise by a low-resolution one.

Every conv has spectral norm, as in FastGAN. SLE (paper: 8 -> 128, 16 -> 256, 32 -> 512, 64 -> 1024 px) pools the
source map to 4x4, maps it with a 4x4 conv, Swish, 1x1 conv and a sigmoid to one gate per channel of the target map.
Below 128 px, where the paper has no SLE, the output resolution is gated by the 8 px map (the 4 px map for 8 px images;
our choice, so that small CPU models keep the mechanism).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.models.network import GeneratorNetwork
from ganforge.nn.shape import assert_shape


def _sn_conv(cin: int, cout: int, k: int, stride: int = 1, padding: int = 0, bias: bool = True) -> nn.Module:
    return spectral_norm(nn.Conv2d(cin, cout, k, stride, padding, bias=bias))


class UpBlock(nn.Module):
    """The lite up block: ``[N, cin, r, r] -> [N, cout, 2r, 2r]``: nearest 2x, 3x3 conv to ``2 * cout``, BN, GLU."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = _sn_conv(cin, 2 * cout, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(2 * cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode="nearest")
        return F.glu(self.bn(self.conv(x)), dim=1)  # GLU halves the channels: a * sigmoid(b)


class SkipLayerExcitation(nn.Module):
    """``SLE(x_low [N, c_low, r, r], x_high [N, c_high, R, R]) = x_high * gate(x_low)``, ``gate: [N, c_high, 1, 1]``."""

    def __init__(self, c_low: int, c_high: int) -> None:
        super().__init__()
        self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(4), _sn_conv(c_low, c_high, 4, bias=False), nn.SiLU(),
                                  _sn_conv(c_high, c_high, 1, bias=False), nn.Sigmoid())

    def forward(self, x_low: torch.Tensor, x_high: torch.Tensor) -> torch.Tensor:
        return x_high * self.gate(x_low)


def sle_pairs(img_resolution: int) -> dict[int, int]:
    """``{target res: source res}`` of the SLE connections (see the module docstring)."""
    pairs = {res: res // 16 for res in (128, 256, 512, 1024) if res <= img_resolution}
    if img_resolution < 128:
        pairs[img_resolution] = min(8, img_resolution // 2)
    return pairs


class Generator(GeneratorNetwork):
    """``G(z [N, z_dim], c [N, c_dim] | None) -> img [N, img_channels, R, R]`` in (-1, 1).

    Args:
        z_dim: Latent width.
        c_dim: Label width (0 = unconditional; else a class embedding is appended to z).
        img_resolution: Image side (power of two, 8..1024).
        img_channels: Image channels.
        channels: ``{res: width}`` for ``4, 8, ..., img_resolution``.
        embed_dim: Class-embedding width (conditional only).

    StyleGAN call-convention keywords (``noise_mode``, ``truncation_psi``) are accepted and ignored.
    """

    def __init__(self, z_dim: int, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 embed_dim: int = 64) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.img_resolution, self.img_channels = z_dim, c_dim, img_resolution, img_channels
        self.embed = nn.Embedding(c_dim, embed_dim) if c_dim > 0 else None  # rows picked by c (one-hot or soft)
        in_dim = z_dim + (embed_dim if c_dim > 0 else 0)
        self.init = nn.Sequential(spectral_norm(nn.ConvTranspose2d(in_dim, 2 * channels[4], 4, 1, 0, bias=False)),
                                  nn.BatchNorm2d(2 * channels[4]), nn.GLU(dim=1))
        resolutions = sorted(channels)
        self.up = nn.ModuleDict({f"b{res}": UpBlock(channels[res // 2], channels[res]) for res in resolutions[1:]})
        self.sle = nn.ModuleDict({f"b{dst}": SkipLayerExcitation(channels[src], channels[dst])
                                  for dst, src in sle_pairs(img_resolution).items()})
        self.sle_sources = {f"b{dst}": src for dst, src in sle_pairs(img_resolution).items()}
        self.to_img = _sn_conv(channels[img_resolution], img_channels, 3, padding=1)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, **_kwargs) -> torch.Tensor:
        assert_shape(z, [None, self.z_dim], "z")
        if self.embed is not None:
            if c is None:
                raise ValueError(f"this generator is conditional (c_dim={self.c_dim}): pass labels c")
            assert_shape(c, [z.shape[0], self.c_dim], "c")
            z = torch.cat([z, c.to(z.dtype) @ self.embed.weight], dim=1)  # [N, z_dim + embed_dim]
        x = self.init(z[:, :, None, None])  # [N, C4, 4, 4]
        feats = {4: x}
        for name, block in self.up.items():
            x = block(x)  # [N, C_res, res, res]
            if name in self.sle:
                x = self.sle[name](feats[self.sle_sources[name]], x)
            feats[x.shape[-1]] = x
        return torch.tanh(self.to_img(x))  # [N, img_channels, R, R]
