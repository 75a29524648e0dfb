"""Options of the projected discriminator (``--d projected --d-opt KEY=VALUE``; ``model.d_options`` in config.json)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ganforge.config import Config


@dataclass(frozen=True)
class ProjectedOptions(Config):
    """What the projected D is built from besides the model config (resolution, channels, labels)."""

    backbone: Literal["efficientnet_lite0"] = "efficientnet_lite0"
    """The frozen feature network (the paper's default, EfficientNet-lite0)."""
    weights: str | None = None
    """Its weight file (timm's ``tf_efficientnet_lite0`` state dict); ``None`` = ``$GANFORGE_EFFICIENTNET_LITE0``, and
    without that the seeded random weights (random features; one warning says so)."""
    sha256: str | None = None
    """Expected sha256 of ``weights`` (full or >= 8 hex digits)."""
    backbone_res: int = 224
    """Images are resized (bilinear) to ``backbone_res`` x ``backbone_res`` before the feature network; 224 = the
    resolution it was trained at. Smaller is much cheaper (the CPU preset uses 64)."""
    mix_channels: int = 64
    """Cross-channel mixing widths: ``mix_channels * (1, 2, 4, 8)`` at strides 4, 8, 16, 32 (paper: 64 .. 512)."""
    head_channels: int = 64
    """Width of each scale's head: ``head_channels`` after the first strided conv, doubling per conv, at most 4x."""
    cmap_dim: int = 64
    """Width of the class projection (conditional runs)."""
    diffaug: str = "color,translation,cutout"
    """DiffAugment policy applied inside D (training mode) to every image before the feature network; "" = off."""
    mixing_seed: int = 0
    """Seed of the fixed random mixing layers (part of the projection's digest)."""

    def __post_init__(self) -> None:
        if self.backbone_res < 32 or self.backbone_res % 32:
            raise ValueError(f"backbone_res must be a multiple of 32 (the feature network's coarsest stride), "
                             f"got {self.backbone_res}")
        for name in ("mix_channels", "head_channels", "cmap_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.diffaug:
            from ganforge.augment.diffaugment import POLICIES

            for op in (s.strip() for s in self.diffaug.split(",")):
                POLICIES.get(op)
