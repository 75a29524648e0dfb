"""The projected discriminator (Sauer, Chitta, Mueller, Geiger 2021, "Projected GANs Converge Faster"): D judges
images through a fixed projection (frozen pretrained features + random channel and scale mixing) with one small
trained head per scale, and DiffAugment in front of everything."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.augment.diffaugment import DiffAugment
from ganforge.backbones.frozen import FrozenBackbone
from ganforge.models.checks import block_shape
from ganforge.models.network import DiscriminatorNetwork
from ganforge.models.projected.heads import ScaleHead
from ganforge.nn.shape import assert_shape


class ProjectedDiscriminator(DiscriminatorNetwork):
    """``D(img [N, img_channels, H, W], c [N, c_dim] | None) -> patch logits [N, K]``: the patch logits of all scales'
    heads side by side (the adversarial loss scores each patch and averages them per sample,
    ``losses.adversarial.patchwise``).

    In training mode the images first go through DiffAugment (the paper applies it to reals and fakes inside D);
    then they become RGB (grey repeated, alpha dropped), are resized to ``backbone_res`` and projected.

    Args:
        c_dim: Label width (0 = unconditional; else the heads project onto a class embedding).
        img_resolution: The longer image side (``init_res`` gives the shape, as for the other families).
        img_channels: 1..4 (the feature network sees RGB).
        projection: The fixed projection, a :class:`FrozenBackbone` around a ``FeatureProjection``.
        backbone_res: Side the images are resized to before the projection.
        head_channels: Width of the heads (see :class:`ScaleHead`).
        cmap_dim: Class projection width.
        diffaug: DiffAugment policy ("" = none).
        init_res: ``(height, width)`` of a family's first block, for non-square images.
    """

    def __init__(self, c_dim: int, img_resolution: int, img_channels: int, projection: FrozenBackbone,
                 backbone_res: int = 224, head_channels: int = 64, cmap_dim: int = 64,
                 diffaug: str = "color,translation,cutout", init_res: tuple[int, int] = (4, 4)) -> None:
        super().__init__()
        if not 1 <= img_channels <= 4:
            raise ValueError(f"the projected D takes 1..4 image channels, got {img_channels}")
        self.c_dim, self.img_resolution, self.img_channels = c_dim, img_resolution, img_channels
        self.img_shape = block_shape(img_resolution, tuple(init_res))
        self.backbone_res = backbone_res
        self.augment = DiffAugment(diffaug) if diffaug else None
        self.projection = projection
        with torch.no_grad():
            probe = projection(torch.zeros(1, 3, backbone_res, backbone_res))
        self.heads = nn.ModuleList(ScaleHead(f.shape[1], f.shape[-1], head_channels, c_dim, cmap_dim) for f in probe)

    def _rgb_at_backbone_res(self, img: torch.Tensor) -> torch.Tensor:
        rgb = img[:, :1].expand(-1, 3, -1, -1) if self.img_channels <= 2 else img[:, :3]  # [N, 3, H, W]
        size = (self.backbone_res, self.backbone_res)
        if tuple(rgb.shape[-2:]) == size:
            return rgb
        shrink = rgb.shape[-1] > size[1] or rgb.shape[-2] > size[0]
        return F.interpolate(rgb, size=size, mode="bilinear", align_corners=False, antialias=shrink)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None, **_kwargs) -> torch.Tensor:
        assert_shape(img, [None, self.img_channels, *self.img_shape], "img")
        if self.c_dim > 0:
            if c is None:
                raise ValueError(f"this discriminator is conditional (c_dim={self.c_dim}): pass labels c")
            assert_shape(c, [img.shape[0], self.c_dim], "c")
        if self.training and self.augment is not None:
            img = self.augment(img)
        feats = self.projection(self._rgb_at_backbone_res(img))  # 4 x [N, C_i, R_i, R_i]
        return torch.cat([head(f, c) for head, f in zip(self.heads, feats)], dim=1)  # [N, K]

    def feature_maps(self, img: torch.Tensor) -> list[torch.Tensor]:
        """The 4 projected feature maps (no augmentation), finest first."""
        assert_shape(img, [None, self.img_channels, *self.img_shape], "img")
        return self.projection(self._rgb_at_backbone_res(img))
