"""DCGAN-family generator: ``z (+ class embedding) -> 4x4 stem -> up-stages to img_resolution -> 3x3 conv -> tanh``."""

from __future__ import annotations

import torch
from torch import nn

from ganforge.models.checks import check_init_res
from ganforge.models.dcgan.blocks import make_stage
from ganforge.models.network import GeneratorNetwork
from ganforge.nn.shape import assert_shape


class Generator(GeneratorNetwork):
    """``G(z [N, z_dim], c [N, c_dim] | None) -> img [N, img_channels, R, R]`` in [-1, 1].

    The stem is DCGAN's projection of z to a 4x4 map (a 4x4 transposed conv from 1x1, BN, ReLU); ``log2(R) - 2``
    up-stages of the chosen block type follow, then a 3x3 conv to the image channels and tanh. Extra keyword arguments
    of the StyleGAN call convention (``noise_mode``, ``truncation_psi``) are accepted and ignored.
    """

    def __init__(self, z_dim: int, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 block: str = "plain", depth: int = 1, init_res: tuple[int, int] = (4, 4)) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.z_dim, self.c_dim = z_dim, c_dim
        self.img_resolution, self.img_channels = img_resolution, img_channels
        self.embed = nn.Linear(c_dim, z_dim, bias=False) if c_dim > 0 else None
        in_dim = z_dim * 2 if c_dim > 0 else z_dim
        self.stem = nn.Sequential(nn.ConvTranspose2d(in_dim, channels[4], self.init_res, 1, 0, bias=False),
                                  nn.BatchNorm2d(channels[4]), nn.ReLU())
        stages, res = [], 4
        while res < img_resolution:
            stages.append(make_stage(block, channels[res], channels[res * 2], up=True, depth=depth))
            res *= 2
        self.stages = nn.Sequential(*stages)
        self.to_rgb = nn.Conv2d(channels[img_resolution], img_channels, 3, 1, 1)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None, **_style_kwargs) -> torch.Tensor:
        assert_shape(z, [None, self.z_dim])
        if self.embed is not None:
            if c is None:
                raise ValueError(f"this generator is conditional (c_dim={self.c_dim}): pass labels c")
            z = torch.cat([z, self.embed(c.to(z.dtype))], dim=1)  # [N, 2 * z_dim]
        x = self.stem(z[:, :, None, None])  # [N, C4, *init_res]
        x = self.stages(x)  # [N, C_R, H, W]
        return torch.tanh(self.to_rgb(x))  # [N, img_channels, H, W]
