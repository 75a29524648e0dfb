"""StyleGAN2 model config (defaults: config F, Karras et al. 2020)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_init_res, check_non_negative, check_positive, check_resolution


@dataclass(frozen=True)
class StyleGAN2Config(Config):
    """Everything needed to build a StyleGAN2 generator and discriminator."""

    name: Literal["stylegan2"] = "stylegan2"
    img_resolution: int = 256
    """Image resolution (power of two >= 4)."""
    img_channels: int = 3
    """1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA)."""
    c_dim: int = 0
    """Label width (0 = unconditional)."""
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 8
    mapping_lr_multiplier: float = 0.01
    w_avg_beta: float | None = 0.995
    channel_base: int = 32768
    """Channels at resolution R: min(channel_base // R, channel_max)."""
    channel_max: int = 512
    g_architecture: Literal["orig", "skip", "resnet"] = "skip"
    d_architecture: Literal["orig", "skip", "resnet"] = "resnet"
    conv_clamp: float | None = None
    num_fp16_res: int = 0
    """Highest resolutions run in fp16 on CUDA (CPU is always fp32)."""
    mbstd_group_size: int | None = 4
    mbstd_num_channels: int = 1
    cmap_dim: int | None = None
    d_mapping_layers: int = 8
    """Depth of D's label-embedding MLP (conditional only)."""
    resample_filter: tuple[float, ...] = (1.0, 3.0, 3.0, 1.0)
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of the first block: (4, 4) square; images are img_resolution * init_res / 4 (e.g. (2, 4):
    128x64 images at img_resolution 128)."""
    input: Literal["const", "fourier"] = "const"
    """G's input: the learned 4x4 constant, or StyleGAN3's Fourier features on the 4x4 grid (the StyleGAN3 paper's
    config B; makes G movable with ``set_transform`` and measurable by the equivariance metrics; square only)."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution)
        check_init_res("init_res", self.init_res)
        check_channels("img_channels", self.img_channels)
        for field in ("c_dim", "z_dim", "num_fp16_res", "mbstd_num_channels"):
            check_non_negative(field, getattr(self, field))
        for field in ("w_dim", "mapping_layers", "channel_base", "channel_max", "d_mapping_layers"):
            check_positive(field, getattr(self, field))
        if self.mapping_lr_multiplier <= 0:
            raise ValueError(f"mapping_lr_multiplier must be > 0, got {self.mapping_lr_multiplier}")
        if self.mbstd_group_size is not None and self.mbstd_group_size < 1:
            raise ValueError(f"mbstd_group_size must be >= 1 or None, got {self.mbstd_group_size}")
        if self.input not in ("const", "fourier"):
            raise ValueError(f"input must be 'const' or 'fourier', got {self.input!r}")
        if self.input == "fourier" and tuple(self.init_res) != (4, 4):
            raise ValueError(f"input='fourier' needs square images (init_res (4, 4)), got {tuple(self.init_res)}")
        if len(self.resample_filter) < 1:
            raise ValueError("resample_filter must have at least one tap")
