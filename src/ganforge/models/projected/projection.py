"""The fixed projection of a projected discriminator (Sauer et al. 2021, sec. 3): a frozen pretrained feature network,
then cross-channel mixing (CCM: one random 1x1 conv per scale) and cross-scale mixing (CSM: a top-down path of random
3x3 convs and bilinear upsampling that adds each coarser scale into the next finer one, as in a U-Net/FPN decoder).

Nothing here trains. The random layers spread the features of a few dominant channels over all channels and carry
coarse context into the fine scales, which the paper finds makes the heads use the whole feature space (its
ablations: CCM + CSM gives the lowest FID). Their weights come from ``mixing_seed`` and are part of the digest that
checkpoints keep instead of the weights (``FrozenBackbone(checkpoint="digest")``).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.nn.shape import assert_shape


def _fixed_conv(cin: int, cout: int, k: int, g: torch.Generator) -> nn.Conv2d:
    """A conv with variance-preserving uniform weights (gain 1, ``U(-sqrt(3/fan_in), sqrt(3/fan_in))``), bias 0,
    drawn from ``g`` so that the mixing is the same in every run with the same seed."""
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    bound = math.sqrt(3.0 / (cin * k * k))
    with torch.no_grad():
        conv.weight.copy_((torch.rand(conv.weight.shape, generator=g) * 2 - 1) * bound)
        conv.bias.zero_()
    return conv


class FeatureProjection(nn.Module):
    """``img [N, 3, R, R]`` in [-1, 1] -> 4 mixed feature maps, finest first:
    ``[N, out_channels[i], ceil(R / strides[i]), ...]`` for the feature network's strides (4, 8, 16, 32).

    Args:
        features: The feature network; ``features.features(img)`` returns its 4 maps (``in_channels`` wide).
        in_channels: Widths of those maps.
        out_channels: Widths after cross-channel mixing (and of the returned maps).
        seed: Seed of the random mixing layers.
    """

    def __init__(self, features: nn.Module, in_channels: Sequence[int], out_channels: Sequence[int], seed: int) -> None:
        super().__init__()
        if len(in_channels) != len(out_channels):
            raise ValueError("in_channels and out_channels must list the same scales")
        g = torch.Generator().manual_seed(seed)
        self.features = features
        self.out_channels = tuple(out_channels)
        self.ccm = nn.ModuleList(_fixed_conv(ci, co, 1, g) for ci, co in zip(in_channels, out_channels))
        # csm[i] maps scale i+1 (coarser) to scale i's width before upsampling and adding.
        self.csm = nn.ModuleList(_fixed_conv(out_channels[i + 1], out_channels[i], 3, g)
                                 for i in range(len(out_channels) - 1))

    def forward(self, img: torch.Tensor) -> list[torch.Tensor]:
        assert_shape(img, [None, 3, None, None], "img")
        mixed = [ccm(f) for ccm, f in zip(self.ccm, self.features.features(img))]  # CCM per scale
        out = [mixed[-1]]  # the coarsest scale has nothing above it
        for i in range(len(mixed) - 2, -1, -1):  # CSM, top-down
            up = F.interpolate(self.csm[i](out[0]), size=mixed[i].shape[-2:], mode="bilinear", align_corners=False)
            out.insert(0, mixed[i] + up)  # [N, out_channels[i], H_i, W_i]
        return out
