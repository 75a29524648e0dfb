"""DCGAN-family model config: one class for the three baselines, which differ only in their blocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_init_res, check_non_negative, check_positive, check_resolution

BLOCK_OF = {"dcgan": "plain", "dcgan-resnet": "resnet", "dcgan-csp": "csp"}
"""Registered model name -> block type of its G and D stages."""


@dataclass(frozen=True)
class DCGANConfig(Config):
    """Everything needed to build a DCGAN / DCGAN-ResNet / DCGAN-CSP generator and discriminator."""

    name: Literal["dcgan", "dcgan-resnet", "dcgan-csp"] = "dcgan"
    """The family member; it picks the block type (plain strided conv, residual, cross-stage partial)."""
    img_resolution: int = 64
    """Image resolution (power of two >= 8)."""
    img_channels: int = 3
    c_dim: int = 0
    """Label width (0 = unconditional); conditional G concatenates a class embedding to z, D uses a projection."""
    z_dim: int = 100
    channel_base: int = 8192
    """Channels at resolution R: min(channel_base // R, channel_max) (even, >= 2)."""
    channel_max: int = 512
    depth: int = 1
    """Blocks per resolution stage (the first changes the resolution, the rest keep it)."""
    d_norm: Literal["batch", "none"] = "batch"
    """Normalisation in D's blocks (the DCGAN paper: batch norm; use 'none' with spectral norm or WGAN-GP)."""
    spectral_norm: bool = False
    """Spectral normalisation (Miyato et al. 2018) on every conv / linear weight of D."""
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of G's stem and D's last map: (4, 4) square; images are img_resolution * init_res / 4."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8)
        check_init_res("init_res", self.init_res)
        check_channels("img_channels", self.img_channels)
        check_non_negative("c_dim", self.c_dim)
        for field in ("z_dim", "channel_base", "channel_max", "depth"):
            check_positive(field, getattr(self, field))

    @property
    def block(self) -> str:
        """``plain`` | ``resnet`` | ``csp``."""
        return BLOCK_OF[self.name]

    def channels(self, res: int) -> int:
        """Feature channels at resolution ``res`` (rounded down to even, at least 2, so CSP can split them)."""
        return max(min(self.channel_base // res, self.channel_max) // 2 * 2, 2)
