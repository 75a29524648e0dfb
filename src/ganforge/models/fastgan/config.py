"""FastGAN-lite generator config (Liu, Zhu, Song, Elgammal 2021, "Towards Faster and Stabilized GAN Training for
High-fidelity Few-shot Image Synthesis"; the lightweight generator Projected GAN trains, Sauer et al. 2021)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_init_res, check_non_negative, check_positive, check_resolution

CHANNEL_MULTIPLIER = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5, 512: 0.25, 1024: 0.125}
"""FastGAN's width per resolution in units of ``ngf`` (its ``nfc_multi``)."""


@dataclass(frozen=True)
class FastGANConfig(Config):
    """Everything needed to build a FastGAN-lite generator; widths are ``CHANNEL_MULTIPLIER[res] * ngf`` (at least
    1, at most ``channel_max``)."""

    name: Literal["fastgan"] = "fastgan"
    img_resolution: int = 256
    """Image side (power of two, 8..1024; square images only; the paper: 256..1024)."""
    img_channels: int = 3
    c_dim: int = 0
    """Label width (0 = unconditional); a class embedding is appended to z."""
    z_dim: int = 256
    ngf: int = 64
    """Width unit (the paper's lite generator: 128 at 256 px)."""
    channel_max: int = 1024
    embed_dim: int = 64
    """Width of the class embedding (conditional only)."""
    init_res: tuple[int, int] = (4, 4)
    """Square only: (4, 4)."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8, maximum=1024)
        check_init_res("init_res", self.init_res)
        if tuple(self.init_res) != (4, 4):
            raise ValueError("fastgan trains square images only (init_res (4, 4))")
        check_channels("img_channels", self.img_channels)
        check_non_negative("c_dim", self.c_dim)
        for field in ("z_dim", "ngf", "channel_max", "embed_dim"):
            check_positive(field, getattr(self, field))

    @property
    def resolutions(self) -> list[int]:
        """``[4, 8, ..., img_resolution]``."""
        return [2 ** i for i in range(2, self.img_resolution.bit_length())]

    def channels(self, res: int) -> int:
        return max(1, min(int(CHANNEL_MULTIPLIER[res] * self.ngf), self.channel_max))
