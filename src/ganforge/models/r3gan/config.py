"""R3GAN model config (Huang, Gokaslan, Kuleshov, Tompkin 2024, "The GAN is dead; long live the GAN! A Modern
Baseline GAN"): widths per stage, residual blocks per stage, grouped-conv group size and expansion factor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_init_res, check_non_negative, check_positive, check_resolution


@dataclass(frozen=True)
class R3GANConfig(Config):
    """Everything needed to build an R3GAN generator and discriminator.

    Stage widths come from ``widths`` when given (one per stage, the 4-px stage first), else from
    ``min(channel_base // res, channel_max)`` rounded down to a multiple of ``group_size`` (at least ``group_size``).
    """

    name: Literal["r3gan"] = "r3gan"
    img_resolution: int = 32
    """Image resolution (the longer side; power of two, 8..1024)."""
    img_channels: int = 3
    """1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA)."""
    c_dim: int = 0
    """Label width (0 = unconditional); G concatenates a class embedding to z, D projects onto one."""
    z_dim: int = 64
    """Latent width (the paper uses 64)."""
    embed_dim: int = 64
    """Width of the class embedding (G: appended to z; D: projection space). Unused when ``c_dim == 0``."""
    channel_base: int = 4096
    """Width at resolution R: ``min(channel_base // R, channel_max)`` (ignored when ``widths`` is given)."""
    channel_max: int = 128
    widths: tuple[int, ...] | None = None
    """Explicit stage widths ``(C4, C8, ..., C_R)``; ``None`` = the channel_base rule."""
    blocks_per_stage: int = 2
    """Residual blocks in every stage (G: after the transition; D: before it)."""
    group_size: int = 16
    """Channels per group of the grouped 3x3 conv (fixed; the number of groups grows with the width)."""
    expansion: int = 2
    """Inverted-bottleneck expansion: the 3x3 conv runs on ``expansion * width`` channels."""
    resample_filter: tuple[float, ...] = (1.0, 3.0, 3.0, 1.0)
    """Binomial FIR taps of the 2x resampling: the paper's interpolation kernel [1, 2, 1] convolved with the 2-tap box
    of the stride, i.e. bilinear."""
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of G's basis and D's last map: (4, 4) square; images are img_resolution * init_res / 4."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8, maximum=1024)
        check_init_res("init_res", self.init_res)
        check_channels("img_channels", self.img_channels)
        check_non_negative("c_dim", self.c_dim)
        for field in ("z_dim", "embed_dim", "channel_base", "channel_max", "blocks_per_stage", "group_size",
                      "expansion"):
            check_positive(field, getattr(self, field))
        if len(self.resample_filter) < 1:
            raise ValueError("resample_filter must have at least one tap")
        if self.widths is not None:
            if len(self.widths) != self.num_stages:
                raise ValueError(f"widths must list {self.num_stages} stage widths (4 px .. {self.img_resolution} px), "
                                 f"got {len(self.widths)}")
            for res, width in zip(self.resolutions, self.widths):
                if width < 1 or (width * self.expansion) % self.group_size:
                    raise ValueError(f"widths: {width} channels at {res} px times expansion {self.expansion} is not a "
                                     f"positive multiple of group_size {self.group_size}")

    @property
    def resolutions(self) -> list[int]:
        """Stage names (the longer side of their maps): ``[4, 8, ..., img_resolution]``."""
        return [2 ** i for i in range(2, self.img_resolution.bit_length())]

    @property
    def num_stages(self) -> int:
        return len(self.resolutions)

    @property
    def num_blocks(self) -> int:
        """Residual blocks in one network (``L`` of the fix-up scaling)."""
        return self.num_stages * self.blocks_per_stage

    def channels(self, res: int) -> int:
        """Width of the stage at resolution ``res``."""
        if self.widths is not None:
            return self.widths[self.resolutions.index(res)]
        width = min(self.channel_base // res, self.channel_max) // self.group_size * self.group_size
        return max(width, self.group_size)

    def channel_dict(self) -> dict[int, int]:
        """``{res: width}`` for every stage."""
        return {res: self.channels(res) for res in self.resolutions}
