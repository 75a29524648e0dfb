"""StyleGAN1 model config (Karras et al. 2019, "A Style-Based Generator Architecture for GANs"), with optional
progressive growing (``growing``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_non_negative, check_positive, check_resolution


@dataclass(frozen=True)
class StyleGAN1Config(Config):
    """Everything needed to build a StyleGAN1 generator (and its discriminator: the ProGAN D, or StyleGAN2's orig D)."""

    name: Literal["stylegan1"] = "stylegan1"
    img_resolution: int = 1024
    """Image resolution (power of two, 8..1024)."""
    img_channels: int = 3
    """1 (grayscale), 3 (RGB) or 4 (RGBA)."""
    c_dim: int = 0
    """Label width (0 = unconditional)."""
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8
    mapping_lr_multiplier: float = 0.01
    w_avg_beta: float | None = 0.995
    channel_base: int = 16384
    """Channels at resolution R: min(channel_base // R, channel_max) (the paper: 512 up to 32 px, then halving)."""
    channel_max: int = 512
    blur_filter: tuple[float, ...] = (1.0, 2.0, 1.0)
    """Low-pass filter after each 2x upsampling (the paper's [1, 2, 1] blur)."""
    mbstd_group_size: int | None = 4
    """Minibatch-stddev group of the discriminator."""
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of the first block: square images only, so always (4, 4)."""
    growing: bool = False
    """Progressive growing (``--growing``): G (and the ProGAN D) follow the run's ``growth`` schedule."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8, maximum=1024)
        check_channels("img_channels", self.img_channels, allowed=(1, 3, 4))
        for field in ("c_dim", "z_dim"):
            check_non_negative(field, getattr(self, field))
        for field in ("w_dim", "mapping_layers", "channel_base", "channel_max"):
            check_positive(field, getattr(self, field))
        if self.z_dim == 0 and self.c_dim == 0:
            raise ValueError("z_dim and c_dim cannot both be 0")
        if self.mapping_lr_multiplier <= 0:
            raise ValueError(f"mapping_lr_multiplier must be > 0, got {self.mapping_lr_multiplier}")
        if self.w_avg_beta is not None and not 0 <= self.w_avg_beta < 1:
            raise ValueError(f"w_avg_beta must be in [0, 1) or None, got {self.w_avg_beta}")
        if self.mbstd_group_size is not None and self.mbstd_group_size < 1:
            raise ValueError(f"mbstd_group_size must be >= 1 or None, got {self.mbstd_group_size}")
        if tuple(self.init_res) != (4, 4):
            raise ValueError(f"stylegan1 trains square images only: init_res must be (4, 4), got {self.init_res!r}")
        if len(self.blur_filter) < 1:
            raise ValueError("blur_filter must have at least one tap")
