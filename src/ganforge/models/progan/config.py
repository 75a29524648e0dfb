"""ProGAN model config (Karras, Aila, Laine, Lehtinen 2018, "Progressive Growing of GANs for Improved Quality,
Stability, and Variation"): latent width, the channel rule and the minibatch-stddev group size.

``growing=True`` builds the networks with a ToRGB / FromRGB per resolution that follow the run's ``growth``
schedule (models/growing.py, docs/progan.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config
from ganforge.models.checks import check_channels, check_init_res, check_non_negative, check_positive, check_resolution


def progan_channels(res: int, channel_base: int, channel_max: int) -> int:
    """Width at resolution ``res``: ``min(channel_base // res, channel_max)``, at least 1. The paper's widths (512 up
    to 32 px, then halving per doubling: 256 at 64 px ... 16 at 1024 px; its ``fmap_base`` 8192 counts resolution
    from 2 px) are ``channel_base = 16384``, ``channel_max = 512`` in this rule."""
    return max(min(channel_base // res, channel_max), 1)


@dataclass(frozen=True)
class ProGANConfig(Config):
    """Everything needed to build a ProGAN generator and discriminator."""

    name: Literal["progan"] = "progan"
    img_resolution: int = 64
    """Image resolution (the longer side; power of two, 8..1024)."""
    img_channels: int = 3
    """1 (grayscale), 2 (grayscale + alpha), 3 (RGB) or 4 (RGBA)."""
    c_dim: int = 0
    """Label width (0 = unconditional); G concatenates a class embedding to z, D adds a projection term."""
    z_dim: int = 512
    """Latent width (paper: 512)."""
    channel_base: int = 16384
    """Width at resolution R: ``min(channel_base // R, channel_max)`` (16384 / 512: the paper's widths)."""
    channel_max: int = 512
    mbstd_group_size: int = 4
    """Group size of D's minibatch standard deviation (paper: 4; clipped to the batch)."""
    init_res: tuple[int, int] = (4, 4)
    """(height, width) of G's first block and D's last map: (4, 4) square; images are img_resolution * init_res / 4."""
    growing: bool = False
    """Progressive growing (``--growing``): G and D start at the first stage and grow by the ``growth`` schedule."""

    def __post_init__(self) -> None:
        check_resolution("img_resolution", self.img_resolution, minimum=8, maximum=1024)
        check_init_res("init_res", self.init_res)
        check_channels("img_channels", self.img_channels, allowed=(1, 2, 3, 4))
        check_non_negative("c_dim", self.c_dim)
        for field in ("z_dim", "channel_base", "channel_max", "mbstd_group_size"):
            check_positive(field, getattr(self, field))

    @property
    def resolutions(self) -> list[int]:
        """Block names (the longer side of their maps): ``[4, 8, ..., img_resolution]``."""
        return [2 ** i for i in range(2, self.img_resolution.bit_length())]

    def channels(self, res: int) -> int:
        """Width of the block at resolution ``res``."""
        return progan_channels(res, self.channel_base, self.channel_max)

    def channel_dict(self) -> dict[int, int]:
        """``{res: width}`` for every block."""
        return {res: self.channels(res) for res in self.resolutions}
