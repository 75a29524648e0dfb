"""Image-space filtering of ADA (Karras et al. 2020, app. B.4): random gains for four frequency bands.

A filter bank splits the spectrum into octave bands ``[0, 1/8], [1/8, 1/4], [1/4, 1/2], [1/2, 1]`` (fractions of the
Nyquist frequency); the bands are differences of Kaiser-windowed-sinc low-passes, so they sum to the identity
exactly. Each band of a sample is amplified with probability ``imgfilter * p`` by ``2^N(0, imgfilter_std)``; the
gains are then normalised so that the expected power of a natural image (most of it in the lowest band) stays
the same. The weighted sum of the bands is one 1-D filter per sample, applied separably (rows, then columns) with
reflect padding.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

NUM_TAPS = 15
BAND_EDGES = (1 / 8, 1 / 4, 1 / 2)
"""Cut-offs between the four bands, as fractions of the Nyquist frequency."""
EXPECTED_POWER = (10 / 13, 1 / 13, 1 / 13, 1 / 13)
"""Assumed share of image power per band (1/f-like spectrum: most of it in the lowest band)."""


def _lowpass(cutoff: float, num_taps: int = NUM_TAPS, beta: float = 5.0) -> np.ndarray:
    n = np.arange(num_taps) - (num_taps - 1) // 2
    taps = cutoff * np.sinc(cutoff * n) * np.kaiser(num_taps, beta)
    return taps / taps.sum()  # unit DC gain


def band_filters(num_taps: int = NUM_TAPS) -> torch.Tensor:
    """``[4, num_taps]`` band-pass filters (low to high) whose sum is the unit impulse."""
    delta = np.zeros(num_taps)
    delta[(num_taps - 1) // 2] = 1.0
    lows = [_lowpass(c, num_taps) for c in BAND_EDGES] + [delta]
    bands = [lows[0]] + [lows[i] - lows[i - 1] for i in range(1, 4)]
    return torch.tensor(np.stack(bands), dtype=torch.float32)


BANDS = band_filters()


def sample_band_gains(n: int, device: torch.device, *, p: float, imgfilter: float = 0.0,
                      imgfilter_bands: tuple[float, ...] = (1, 1, 1, 1), imgfilter_std: float = 1.0) -> torch.Tensor:
    """``[N, 4]`` per-band gains; rows of samples without any amplified band are exactly 1."""
    t = torch.ones([n, len(imgfilter_bands)], device=device)
    for i, band_mult in enumerate(imgfilter_bands):
        if imgfilter > 0 and band_mult > 0:
            on = (torch.rand([n], device=device) < imgfilter * band_mult * p).float()
            t[:, i] = t[:, i] * torch.exp2(torch.randn([n], device=device) * imgfilter_std * on)
    power = torch.tensor(EXPECTED_POWER, device=device)
    normalised = t / (t.square() * power).sum(dim=1, keepdim=True).sqrt()
    return torch.where((t != 1).any(dim=1, keepdim=True), normalised, t)


def apply_band_gains(images: torch.Tensor, gains: torch.Tensor) -> torch.Tensor:
    """Filter ``images [N, C, H, W]`` with the band gains ``[N, 4]``; samples with all-one gains are untouched."""
    idx = torch.nonzero((gains != 1).any(dim=1)).flatten()
    if idx.numel() == 0:
        return images
    x = images[idx]
    n, C, H, W = x.shape
    taps = gains[idx].to(x.dtype) @ BANDS.to(x.device, x.dtype)  # [n, L]
    pad = taps.shape[1] // 2
    if pad >= min(H, W):
        raise ValueError(f"image filtering needs images larger than {pad} pixels, got {H}x{W}")
    weight = taps.repeat_interleave(C, dim=0)  # [n*C, L]
    x = F.pad(x.reshape(1, n * C, H, W), [pad, pad, pad, pad], mode="reflect")
    x = F.conv2d(x, weight[:, None, None, :], groups=n * C)  # rows
    x = F.conv2d(x, weight[:, None, :, None], groups=n * C)  # columns
    return images.index_copy(0, idx, x.reshape(n, C, H, W))
