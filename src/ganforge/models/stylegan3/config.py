"""StyleGAN3 model config (Karras et al. 2021, "Alias-Free Generative Adversarial Networks"), configs T and R."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_non_negative, check_positive, check_resolution


@dataclass(frozen=True)
class StyleGAN3Config(Config):
    """Everything needed to build a StyleGAN3 generator and its StyleGAN2 residual discriminator."""

    name: Literal["stylegan3"] = "stylegan3"
    cfg: Literal["t", "r"] = "t"
    """``t``: translation equivariant (3x3 convs, separable filters); ``r``: also rotation equivariant (1x1 convs,
    radially symmetric downsampling filters, twice the generator's channels)."""
    img_resolution: int = 256
    """Image resolution (power of two >= 8)."""
    img_channels: int = 3
    """1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA)."""
    c_dim: int = 0
    """Label width (0 = unconditional)."""
    z_dim: int = 512
    w_dim: int = 512
    mapping_layers: int = 2
    """Depth of the mapping network (StyleGAN3 uses 2, StyleGAN2 8)."""
    mapping_lr_multiplier: float = 0.01
    w_avg_beta: float | None = 0.998
    channel_base: int = 32768
    """The official ``--cbase``: layer channels are ``min(channel_base / 2 / cutoff, channel_max)``; config R doubles
    both for the generator (not for D), as the official training script does."""
    channel_max: int = 512
    """The official ``--cmax``."""
    num_layers: int = 14
    """Synthesis layers besides the Fourier input and ToRGB (the paper: 14 at every resolution)."""
    num_critical: int = 2
    """Critically sampled last layers (cutoff at Nyquist)."""
    first_cutoff: float = 2.0
    first_stopband: float = 2 ** 2.1
    last_stopband_rel: float = 2 ** 0.3
    """Last stopband relative to the last cutoff (``img_resolution / 2``)."""
    margin_size: int = 10
    """Extra samples around the image on each side in all but the last two layers."""
    output_scale: float = 0.25
    filter_size: int = 6
    """Low-pass taps per resampling factor (the paper's n = 6)."""
    lrelu_upsampling: int = 2
    """The nonlinearity runs at this multiple of the layer's output sampling rate."""
    conv_clamp: float | None = 256.0
    magnitude_ema_beta: float = 0.999
    """Decay of each layer's input-magnitude EMA (updated on every training-mode forward)."""
    mbstd_group_size: int | None = 4
    """Minibatch-stddev group of the (StyleGAN2 residual) discriminator."""
    d_mapping_layers: int = 8
    """Depth of D's label-embedding MLP (conditional only)."""
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of D's last block: square images only, so always (4, 4)."""

    @property
    def conv_kernel(self) -> int:
        return 1 if self.cfg == "r" else 3

    @property
    def use_radial_filters(self) -> bool:
        return self.cfg == "r"

    @property
    def g_channel_base(self) -> int:
        return self.channel_base * (2 if self.cfg == "r" else 1)

    @property
    def g_channel_max(self) -> int:
        return self.channel_max * (2 if self.cfg == "r" else 1)

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8)
        check_channels("img_channels", self.img_channels)
        if self.cfg not in ("t", "r"):
            raise ValueError(f"cfg must be 't' or 'r', got {self.cfg!r}")
        for field in ("c_dim", "z_dim", "num_critical", "margin_size"):
            check_non_negative(field, getattr(self, field))
        for field in ("w_dim", "mapping_layers", "channel_base", "channel_max", "filter_size", "lrelu_upsampling",
                      "d_mapping_layers"):
            check_positive(field, getattr(self, field))
        if self.z_dim == 0 and self.c_dim == 0:
            raise ValueError("z_dim and c_dim cannot both be 0")
        if self.num_layers <= self.num_critical:
            raise ValueError(f"num_layers must exceed num_critical ({self.num_critical}), got {self.num_layers}")
        if not 0 < self.first_cutoff < self.first_stopband:
            raise ValueError(f"need 0 < first_cutoff < first_stopband, got {self.first_cutoff}, {self.first_stopband}")
        if self.mapping_lr_multiplier <= 0:
            raise ValueError(f"mapping_lr_multiplier must be > 0, got {self.mapping_lr_multiplier}")
        if self.w_avg_beta is not None and not 0 <= self.w_avg_beta < 1:
            raise ValueError(f"w_avg_beta must be in [0, 1) or None, got {self.w_avg_beta}")
        if not 0 <= self.magnitude_ema_beta < 1:
            raise ValueError(f"magnitude_ema_beta must be in [0, 1), got {self.magnitude_ema_beta}")
        if tuple(self.init_res) != (4, 4):
            raise ValueError(f"stylegan3 trains square images only: init_res must be (4, 4), got {self.init_res!r}")
        if self.mbstd_group_size is not None and self.mbstd_group_size < 1:
            raise ValueError(f"mbstd_group_size must be >= 1 or None, got {self.mbstd_group_size}")
