"""upfirdn2d: upsample, pad, FIR-filter and downsample a batch of 2-D images, in pure PyTorch.

The operation (as defined for StyleGAN2's resampling, and in scipy's ``upfirdn``) is, per axis:

1. upsample by inserting ``up - 1`` zeros after every sample (length ``L * up``);
2. pad with ``pad0`` zeros before and ``pad1`` after (negative values crop);
3. convolve with the FIR filter ``f`` (a true convolution; ``flip_filter=True`` correlates);
4. keep every ``down``-th sample, starting at the first.

Output length per axis: ``(L * up + pad0 + pad1 - len(f)) // down + 1``.

Speed (measured on a 2-core CPU, see docs/performance.md): zero insertion is never materialised
(upsampling is a strided transposed convolution), downsampling is a strided convolution, the
filter runs as one depthwise 2-D convolution that keeps the input's memory format (depthwise
convs are 2.5x faster channels-last than NCHW, and 2-D taps beat two 1-D passes for 4-tap
filters), and symmetric padding is folded into the convolution instead of copying the input.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


__all__ = ["upfirdn2d", "filter2d", "upsample2d", "downsample2d", "parse_padding", "parse_scaling"]

Padding = int | Sequence[int]


def parse_scaling(scaling: int | Sequence[int]) -> tuple[int, int]:
    """``up`` or ``down`` as ``(sx, sy)``; an int applies to both axes."""
    if isinstance(scaling, int):
        scaling = (scaling, scaling)
    sx, sy = (int(s) for s in scaling)
    if sx < 1 or sy < 1:
        raise ValueError(f"scaling factors must be >= 1, got {(sx, sy)}")
    return sx, sy


def parse_padding(padding: Padding) -> tuple[int, int, int, int]:
    """Padding as ``(px0, px1, py0, py1)`` from an int, ``(px, py)`` or ``(px0, px1, py0, py1)``."""
    if isinstance(padding, int):
        return padding, padding, padding, padding
    padding = [int(p) for p in padding]
    if len(padding) == 2:
        px, py = padding
        return px, px, py, py
    if len(padding) == 4:
        return padding[0], padding[1], padding[2], padding[3]
    raise ValueError(f"padding must be an int, (px, py) or (px0, px1, py0, py1), got {padding}")


def _depthwise_taps(f: torch.Tensor, channels: int, flip_filter: bool, gain: float, dtype: torch.dtype) -> torch.Tensor:
    """Correlation taps ``[C, 1, fh, fw]`` for a depthwise conv from filter ``f``."""
    if f.ndim == 1:
        f = torch.outer(f, f)
    g = f if flip_filter else f.flip([0, 1])  # conv2d correlates; a true convolution flips the taps
    g = (g * gain).to(dtype)
    return g[None, None].expand(channels, 1, *g.shape).contiguous()


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int | Sequence[int] = 1,
    down: int | Sequence[int] = 1,
    padding: Padding = 0,
    flip_filter: bool = False,
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample, pad, filter and downsample ``x``.

    Args:
        x: Images ``[N, C, H, W]``.
        f: Filter from :func:`ganforge.nn.fir.setup_filter`: ``[fw]`` (separable), ``[fh, fw]``,
            or ``None`` for the identity.
        up: Integer upsampling factor, or ``(ux, uy)``.
        down: Integer downsampling factor, or ``(dx, dy)``.
        padding: ``p``, ``(px, py)`` or ``(px0, px1, py0, py1)``; negative values crop.
        flip_filter: Correlate instead of convolve (irrelevant for symmetric filters).
        gain: Overall gain of the 2-D filter (``up**2`` keeps the level when upsampling).

    Returns:
        ``[N, C, H', W']`` with ``H' = (H * uy + py0 + py1 - fh) // dy + 1`` and likewise ``W'``.
    """
    if x.ndim != 4:
        raise ValueError(f"upfirdn2d: x must be [N, C, H, W], got shape {tuple(x.shape)}")
    upx, upy = parse_scaling(up)
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)
    if f is None:
        f = torch.ones([1], dtype=torch.float32, device=x.device)
    C = x.shape[1]
    weight = _depthwise_taps(f, C, flip_filter, gain, x.dtype)  # [C, 1, fh, fw]
    fh, fw = weight.shape[2], weight.shape[3]
    if upx == 1 and upy == 1:
        # Symmetric non-negative padding is folded into the conv (no padded copy of x).
        conv_pad = (0, 0)
        if px0 == px1 >= 0 and py0 == py1 >= 0:
            conv_pad, (px0, px1, py0, py1) = (py0, px0), (0, 0, 0, 0)
        if any((px0, px1, py0, py1)):
            x = F.pad(x, [px0, px1, py0, py1])
        return F.conv2d(x, weight, stride=(downy, downx), padding=conv_pad, groups=C)
    # Transposed conv = zero insertion + full convolution with the flipped taps; the crop below
    # makes sample j of the result sample (j + f - 1 - pad0) of that full convolution.
    x = F.conv_transpose2d(x, weight.flip([2, 3]), stride=(upy, upx), groups=C)
    x = F.pad(x, [px0 - fw + 1, px1 + upx - fw, py0 - fh + 1, py1 + upy - fh])
    if downx > 1 or downy > 1:
        x = x[:, :, ::downy, ::downx]
    return x


def _filter_size(f: torch.Tensor | None) -> tuple[int, int]:
    """``(fw, fh)`` of a filter."""
    if f is None:
        return 1, 1
    return (f.shape[-1], f.shape[0]) if f.ndim == 2 else (f.shape[0], f.shape[0])


def filter2d(x: torch.Tensor, f: torch.Tensor | None, padding: Padding = 0, flip_filter: bool = False, gain: float = 1.0) -> torch.Tensor:
    """Filter ``x: [N, C, H, W]`` with ``f``; by default the output keeps the input size."""
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = _filter_size(f)
    pad = [px0 + fw // 2, px1 + (fw - 1) // 2, py0 + fh // 2, py1 + (fh - 1) // 2]
    return upfirdn2d(x, f, padding=pad, flip_filter=flip_filter, gain=gain)


def upsample2d(x: torch.Tensor, f: torch.Tensor | None, up: int | Sequence[int] = 2, padding: Padding = 0, flip_filter: bool = False, gain: float = 1.0) -> torch.Tensor:
    """Upsample ``x: [N, C, H, W]`` by ``up`` with filter ``f``; output ``[N, C, H*uy, W*ux]`` by default."""
    upx, upy = parse_scaling(up)
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = _filter_size(f)
    pad = [px0 + (fw + upx - 1) // 2, px1 + (fw - upx) // 2, py0 + (fh + upy - 1) // 2, py1 + (fh - upy) // 2]
    return upfirdn2d(x, f, up=(upx, upy), padding=pad, flip_filter=flip_filter, gain=gain * upx * upy)


def downsample2d(x: torch.Tensor, f: torch.Tensor | None, down: int | Sequence[int] = 2, padding: Padding = 0, flip_filter: bool = False, gain: float = 1.0) -> torch.Tensor:
    """Downsample ``x: [N, C, H, W]`` by ``down`` with filter ``f``; output ``[N, C, H/dy, W/dx]`` by default."""
    downx, downy = parse_scaling(down)
    px0, px1, py0, py1 = parse_padding(padding)
    fw, fh = _filter_size(f)
    pad = [px0 + (fw - downx + 1) // 2, px1 + (fw - downx) // 2, py0 + (fh - downy + 1) // 2, py1 + (fh - downy) // 2]
    return upfirdn2d(x, f, down=(downx, downy), padding=pad, flip_filter=flip_filter, gain=gain)
