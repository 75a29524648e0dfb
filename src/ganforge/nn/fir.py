"""FIR filter setup for the resampling ops (StyleGAN2 uses the binomial [1, 3, 3, 1] low-pass).

A filter is a float32 tensor, either 1-D (separable: the 2-D filter is the outer product of the
1-D taps with themselves) or 2-D ([fh, fw], applied as given). Filters are stored normalised to
unit sum, so a constant image stays constant under filtering; resampling ops multiply by their
own gain (``up**2`` for upsampling) to keep the signal level.
"""

from __future__ import annotations

from typing import Sequence

import torch

def setup_filter(
    f: torch.Tensor | Sequence[float] | Sequence[Sequence[float]] | None,
    *,
    normalize: bool = True,
    flip_filter: bool = False,
    gain: float = 1.0,
    separable: bool | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Turn filter taps into a float32 filter tensor.

    Args:
        f: Taps: ``None`` (identity, ``[1]``), 1-D taps or a 2-D array.
        normalize: Scale so the (2-D equivalent) filter sums to 1.
        flip_filter: Flip the taps (turns convolution into correlation and back).
        gain: Overall gain of the 2-D filter. A separable filter gets ``sqrt(gain)`` per axis.
        separable: Return 1-D taps (``True``) or the 2-D outer product (``False``). ``None`` keeps
            the dimensionality of the input.
        device: Device of the result.

    Returns:
        ``[fw]`` for separable filters, ``[fh, fw]`` otherwise.
    """
    if f is None:
        f = [1.0]
    # Built on the CPU (or f's device) even under a ``torch.device('meta')`` context: size checks build networks there.
    f = torch.as_tensor(f, dtype=torch.float32, device=f.device if isinstance(f, torch.Tensor) else "cpu")
    if f.ndim not in (0, 1, 2):
        raise ValueError(f"setup_filter: f must be 0-D, 1-D or 2-D taps, got shape {tuple(f.shape)}")
    if f.numel() == 0:
        raise ValueError("setup_filter: f must have at least one tap")
    if f.ndim == 0:
        f = f[None]
    if separable is None:
        separable = f.ndim == 1
    if f.ndim == 1 and not separable:
        f = torch.outer(f, f)
    if f.ndim == 2 and separable:
        raise ValueError("setup_filter: a 2-D filter cannot be returned as separable taps")

    if normalize:
        total = f.sum() ** 2 if f.ndim == 1 else f.sum()
        if total == 0:
            raise ValueError("setup_filter: cannot normalize a filter whose taps sum to 0")
        f = f / (total.sqrt() if f.ndim == 1 else total)
    if flip_filter:
        f = f.flip(list(range(f.ndim)))
    f = f * (gain ** (f.ndim / 2))
    return f.to(device=device)

