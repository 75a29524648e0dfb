"""The alias-free nonlinearity (Karras et al. 2021, "Alias-Free GANs", section 3.2 and figure 4).

A pointwise nonlinearity creates arbitrarily high frequencies, which alias when they exceed the Nyquist rate of the
grid the layer runs at. StyleGAN3 therefore applies it on a temporarily upsampled grid and low-pass filters the
result back down:

    x -> + bias -> upsample by ``up`` (low-pass ``fu``) -> leaky ReLU * gain -> clamp -> low-pass ``fd`` -> keep
    every ``down``-th sample

The bias goes in before upsampling (it is a constant, so it commutes with the low-pass). ``up`` and ``down`` need
not be equal: a layer that raises its sampling rate has ``down < up``. Separable (1-D) filters run as two 1-D passes
through :func:`~ganforge.nn.upfirdn2d.upfirdn2d` (zero insertion folded into a strided transposed convolution,
decimation into a strided convolution), 12 taps per axis instead of 144 per pixel; radially symmetric 2-D filters
run as one 2-D pass.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ganforge.nn.bias_act import bias_act
from ganforge.nn.upfirdn2d import parse_padding, upfirdn2d

__all__ = ["filtered_lrelu", "resample_separable"]


def resample_separable(x: torch.Tensor, f: torch.Tensor | None, up: int = 1, down: int = 1,
                       padding: int | Sequence[int] = 0, gain: float = 1.0) -> torch.Tensor:
    """``upfirdn2d(x, f, up, down, padding, gain)`` for a filter ``f`` that is 1-D (separable), 2-D or ``None``.

    A 1-D filter runs as an x pass then a y pass (``gain`` split as ``sqrt(gain)`` per pass), which equals the 2-D
    outer-product filter (tested) at ``2 N`` instead of ``N^2`` multiply-adds per output sample.
    """
    px0, px1, py0, py1 = parse_padding(padding)
    if f is None or f.ndim == 2:
        return upfirdn2d(x, f, up=up, down=down, padding=(px0, px1, py0, py1), gain=gain)
    g = gain ** 0.5
    x = upfirdn2d(x, f[None, :], up=(up, 1), down=(down, 1), padding=(px0, px1, 0, 0), gain=g)
    return upfirdn2d(x, f[:, None], up=(1, up), down=(1, down), padding=(0, 0, py0, py1), gain=g)


def filtered_lrelu(
    x: torch.Tensor,
    fu: torch.Tensor | None = None,
    fd: torch.Tensor | None = None,
    b: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    padding: int | Sequence[int] = 0,
    gain: float = 2 ** 0.5,
    slope: float = 0.2,
    clamp: float | None = None,
) -> torch.Tensor:
    """Bias, upsample, leaky ReLU, clamp, low-pass and downsample.

    Args:
        x: ``[N, C, H, W]``.
        fu: Upsampling low-pass (1-D separable taps, 2-D taps, or ``None`` = identity).
        fd: Downsampling low-pass (likewise).
        b: Bias ``[C]`` or ``None``.
        up: Integer upsampling factor.
        down: Integer downsampling factor.
        padding: ``(px0, px1, py0, py1)`` zero padding of the upsampled signal before ``fu`` (negative crops).
        gain: Scale after the leaky ReLU (``sqrt(2)`` keeps unit variance).
        slope: Leaky ReLU slope for negative inputs (1 = linear, as in ToRGB).
        clamp: Clamp to ``[-clamp, clamp]`` after the gain; ``None`` disables.

    Returns:
        ``[N, C, H', W']`` with ``H' = ((H * up + py0 + py1 - len(fu) + 1) - len(fd)) // down + 1``.
    """
    if x.ndim != 4:
        raise ValueError(f"filtered_lrelu: x must be [N, C, H, W], got shape {tuple(x.shape)}")
    x = bias_act(x, b)
    x = resample_separable(x, fu, up=up, padding=padding, gain=up * up)  # up**2 keeps the level after zero insertion
    x = bias_act(x, act="lrelu", alpha=slope, gain=gain, clamp=clamp, inplace=not torch.is_grad_enabled())
    return resample_separable(x, fd, down=down)
