"""DCGAN-family discriminator: ``3x3 conv -> down-stages to 4x4 -> linear logit (+ class projection)``."""

from __future__ import annotations

import torch
from torch import nn

from ganforge.models.checks import block_shape, check_init_res
from ganforge.models.dcgan.blocks import make_stage
from ganforge.models.network import DiscriminatorNetwork
from ganforge.nn.shape import assert_shape


class Discriminator(DiscriminatorNetwork):
    """``D(img [N, img_channels, R, R], c [N, c_dim] | None) -> logits [N, 1]``.

    A 3x3 conv + LeakyReLU reads the image (no norm, as DCGAN's first layer), ``log2(R) - 2`` down-stages of the chosen
    block type reach 4x4, and a linear layer on the flattened ``[C4 * 16]`` features gives the logit (DCGAN's final 4x4
    conv). Conditional: the projection discriminator (Miyato & Koyama 2018) adds ``<embed(c), h>``.
    """

    def __init__(self, c_dim: int, img_resolution: int, img_channels: int, channels: dict[int, int],
                 block: str = "plain", depth: int = 1, norm: str = "batch", spectral_norm: bool = False,
                 init_res: tuple[int, int] = (4, 4)) -> None:
        super().__init__()
        self.init_res = check_init_res("init_res", init_res)
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        self.from_rgb = nn.Sequential(nn.Conv2d(img_channels, channels[img_resolution], 3, 1, 1), nn.LeakyReLU(0.2))
        stages, res = [], img_resolution
        while res > 4:
            stages.append(make_stage(block, channels[res], channels[res // 2], up=False, norm=norm, depth=depth))
            res //= 2
        self.stages = nn.Sequential(*stages)
        features = channels[4] * self.init_res[0] * self.init_res[1]
        self.fc = nn.Linear(features, 1)
        self.embed = nn.Linear(c_dim, features, bias=False) if c_dim > 0 else None
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None, **_kwargs) -> torch.Tensor:
        assert_shape(img, [None, self.img_channels, *block_shape(self.img_resolution, self.init_res)])
        h = self.stages(self.from_rgb(img)).flatten(1)  # [N, C4 * 16]
        logits = self.fc(h)  # [N, 1]
        if self.embed is not None:
            if c is None:
                raise ValueError(f"this discriminator is conditional (c_dim={self.c_dim}): pass labels c")
            logits = logits + (self.embed(c.to(h.dtype)) * h).sum(dim=1, keepdim=True)
        return logits


def apply_spectral_norm(module: nn.Module, n_power_iterations: int = 1) -> nn.Module:
    """Spectral normalisation (Miyato et al. 2018) on the weight of every conv and linear layer of ``module``:
    ``W / sigma(W)`` with sigma estimated by power iteration (one step per training forward)."""
    for layer in list(module.modules()):
        if isinstance(layer, (nn.Conv2d, nn.Linear, nn.ConvTranspose2d)):
            nn.utils.parametrizations.spectral_norm(layer, n_power_iterations=n_power_iterations)
    return module
