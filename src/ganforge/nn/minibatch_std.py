"""Minibatch standard deviation layer (ProGAN section 3; StyleGAN2's discriminator epilogue).

The batch is split into groups of ``G`` samples; for every group the standard deviation of each
feature over its ``G`` members is averaged (per channel group) into ``F`` scalars, which are
appended as ``F`` constant feature maps to every member. D can then see a batch's lack of
variety, which discourages mode collapse.

Grouping is strided, as in the official StyleGAN2 code (needed to reproduce its outputs):
sample ``n`` belongs to group ``n mod (N / G)``, i.e. groups are ``{m, m + N/G, m + 2N/G, ...}``.
"""

from __future__ import annotations

import torch


class MinibatchStdLayer(torch.nn.Module):
    """Append ``num_channels`` minibatch-stddev feature maps.

    Args:
        group_size: Samples per group ``G`` (clipped to the batch size; the batch must be divisible
            by it). ``None`` uses the whole batch as one group.
        num_channels: Number of stddev features ``F`` (the channels are split into ``F`` groups).
    """

    def __init__(self, group_size: int | None = 4, num_channels: int = 1):
        super().__init__()
        self.group_size = group_size
        self.num_channels = num_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x: [N, C, H, W]`` -> ``[N, C + num_channels, H, W]``."""
        N, C, H, W = x.shape
        G = N if self.group_size is None else min(self.group_size, N)
        F_ = self.num_channels
        if N % G != 0:
            raise ValueError(f"MinibatchStdLayer: batch size {N} is not divisible by the group size {G}")
        if C % F_ != 0:
            raise ValueError(f"MinibatchStdLayer: {C} channels are not divisible by num_channels={F_}")
        y = x.reshape(G, N // G, F_, C // F_, H, W)  # [G, M, F, c, H, W]: member g of group m is sample g*M + m
        y = y - y.mean(dim=0)
        y = (y.square().mean(dim=0) + 1e-8).sqrt()  # [M, F, c, H, W]
        y = y.mean(dim=[2, 3, 4])  # [M, F]
        y = y.reshape(-1, F_, 1, 1).repeat(G, 1, H, W)  # [N, F, H, W]
        return torch.cat([x, y.to(x.dtype)], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"
