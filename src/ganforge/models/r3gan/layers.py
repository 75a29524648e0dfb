"""R3GAN building blocks (Huang et al. 2024, section 3): plain convs with He initialisation, bias + leaky ReLU,
the inverted-bottleneck residual block with a grouped 3x3 conv and fix-up initialisation, FIR transitions, and the
generative / discriminative bases.

No normalisation anywhere: the residual branch's last conv starts at zero and the others are scaled down by
``L ** (-1 / (2m - 2))`` (Fixup, Zhang et al. 2019), so every block starts as the identity and the variance of the
trunk does not grow with depth.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.nn.bias_act import bias_act
from ganforge.nn.fir import setup_filter
from ganforge.nn.upfirdn2d import downsample2d, upsample2d

LRELU_SLOPE = 0.2
LRELU_GAIN = math.sqrt(2.0 / (1.0 + LRELU_SLOPE ** 2))
"""He et al. (2015) gain that keeps the second moment through a leaky ReLU of slope 0.2."""
LAYERS_PER_BRANCH = 3
"""``m`` of the fix-up rule: expand 1x1, grouped 3x3, project 1x1."""


def fixup_scale(num_blocks: int, layers_per_branch: int = LAYERS_PER_BRANCH) -> float:
    """Fix-up factor ``L ** (-1 / (2m - 2))`` for the non-final layers of each residual branch.

    Args:
        num_blocks: ``L``, residual blocks in the whole network (G and D count their own).
        layers_per_branch: ``m``, weight layers per branch (>= 2).
    """
    if num_blocks < 1 or layers_per_branch < 2:
        raise ValueError(f"fixup_scale needs num_blocks >= 1 and layers_per_branch >= 2, got {num_blocks}, "
                         f"{layers_per_branch}")
    return float(num_blocks) ** (-1.0 / (2 * layers_per_branch - 2))


class Conv(nn.Module):
    """Bias-free conv ``[N, cin, H, W] -> [N, cout, H', W']`` with weights ``N(0, (gain / sqrt(fan_in))^2)``.

    ``gain=0`` starts the weights at zero (the last layer of a residual branch). Padding keeps the size for odd square
    kernels; ``padding=0`` with a ``(kh, kw)`` kernel is a valid conv (D's basis).
    """

    def __init__(self, cin: int, cout: int, kernel_size: int | tuple[int, int], groups: int = 1, gain: float = 1.0,
                 padding: int | None = None) -> None:
        super().__init__()
        kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        if cin % groups or cout % groups:
            raise ValueError(f"Conv: {cin} -> {cout} channels do not split into {groups} groups")
        self.groups, self.padding = groups, (kh // 2 if padding is None else padding)
        self.fan_in = cin // groups * kh * kw
        self.weight = nn.Parameter(torch.randn(cout, cin // groups, kh, kw) * (gain / math.sqrt(self.fan_in)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight.to(x.dtype), padding=self.padding, groups=self.groups)

    def extra_repr(self) -> str:
        o, i, kh, kw = self.weight.shape
        return f"{i * self.groups}, {o}, kernel_size=({kh}, {kw}), groups={self.groups}"


class BiasLeakyReLU(nn.Module):
    """``leaky_relu(x + b, 0.2)`` over ``[N, C, H, W]``; the bias starts at zero."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return bias_act(x, self.bias.to(x.dtype), act="lrelu", alpha=LRELU_SLOPE, gain=1.0)


class ResidualBlock(nn.Module):
    """``x + branch(x)`` on ``[N, C, H, W]``; branch = 1x1 expand -> bias+lrelu -> grouped 3x3 -> bias+lrelu ->
    1x1 project (zero-initialised).

    Args:
        channels: ``C``, trunk width.
        expansion: Branch width multiplier (``hidden = expansion * C``).
        group_size: Channels per group of the 3x3 conv (``groups = hidden / group_size``).
        num_blocks: Residual blocks in the whole network (for the fix-up scale).
    """

    def __init__(self, channels: int, expansion: int, group_size: int, num_blocks: int) -> None:
        super().__init__()
        hidden = channels * expansion
        if hidden % group_size:
            raise ValueError(f"ResidualBlock: {hidden} hidden channels are not a multiple of group_size {group_size}")
        gain = LRELU_GAIN * fixup_scale(num_blocks)
        self.expand = Conv(channels, hidden, 1, gain=gain)
        self.act1 = BiasLeakyReLU(hidden)
        self.grouped = Conv(hidden, hidden, 3, groups=hidden // group_size, gain=gain)
        self.act2 = BiasLeakyReLU(hidden)
        self.project = Conv(hidden, channels, 1, gain=0.0)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """The residual branch alone: ``[N, C, H, W] -> [N, C, H, W]`` (exactly zero at initialisation)."""
        h = self.act1(self.expand(x))  # [N, hidden, H, W]
        h = self.act2(self.grouped(h))  # [N, hidden, H, W]
        return self.project(h)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.branch(x)


class UpTransition(nn.Module):
    """``[N, cin, H, W] -> [N, cout, 2H, 2W]``: 1x1 conv (when the width changes, at the lower resolution) then
    FIR upsampling."""

    def __init__(self, cin: int, cout: int, resample_filter: Sequence[float]) -> None:
        super().__init__()
        self.conv = Conv(cin, cout, 1) if cin != cout else None
        self.register_buffer("resample_filter", setup_filter(resample_filter))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.conv is not None:
            x = self.conv(x)
        return upsample2d(x, self.resample_filter.to(x.dtype))


class DownTransition(nn.Module):
    """``[N, cin, H, W] -> [N, cout, H/2, W/2]``: FIR downsampling then 1x1 conv (when the width changes)."""

    def __init__(self, cin: int, cout: int, resample_filter: Sequence[float]) -> None:
        super().__init__()
        self.conv = Conv(cin, cout, 1) if cin != cout else None
        self.register_buffer("resample_filter", setup_filter(resample_filter))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = downsample2d(x, self.resample_filter.to(x.dtype))
        return self.conv(x) if self.conv is not None else x


class GenerativeBasis(nn.Module):
    """``z [N, in_dim] -> [N, C, h, w]``: a learned basis ``[C, h, w]`` modulated per channel by a linear map of z
    (the paper's replacement for StyleGAN's constant input)."""

    def __init__(self, in_dim: int, channels: int, init_res: tuple[int, int]) -> None:
        super().__init__()
        self.basis = nn.Parameter(torch.randn(channels, *init_res))
        self.weight = nn.Parameter(torch.randn(channels, in_dim) / math.sqrt(in_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        scale = z @ self.weight.to(z.dtype).t()  # [N, C]
        return self.basis.to(z.dtype)[None] * scale[:, :, None, None]  # [N, C, h, w]


class DiscriminativeBasis(nn.Module):
    """``[N, C, h, w] -> [N, out_dim]``: a depthwise ``h x w`` conv (one learned basis per channel) reduces the map to
    ``[N, C]``, then a bias-free linear layer."""

    def __init__(self, channels: int, out_dim: int, init_res: tuple[int, int]) -> None:
        super().__init__()
        self.basis = Conv(channels, channels, tuple(init_res), groups=channels, padding=0)
        self.weight = nn.Parameter(torch.randn(out_dim, channels) / math.sqrt(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.basis(x).flatten(1)  # [N, C]
        return h @ self.weight.to(x.dtype).t()  # [N, out_dim]
