"""2-D convolution fused with FIR up- or downsampling, as StyleGAN2 uses it.

The sampling follows the StyleGAN2 paper (and its TF reference, Karras et al. 2020, which our
official-checkpoint loader must match):

* ``up=2``: a transposed convolution with stride 2 (zero insertion + convolution, no compute
  spent on the zeros), then the low-pass FIR filter with gain ``up**2``. The transposed
  convolution uses the weight as stored (in/out axes swapped), i.e. it correlates the
  zero-inserted input with the spatially flipped kernel.
* ``down=2``: the FIR filter first (anti-aliasing), then a strided correlation.

Output size is ``H * up / down`` ("same" padding for odd kernels).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge.nn.upfirdn2d import upfirdn2d

__all__ = ["conv2d_resample"]


def conv2d_resample(
    x: torch.Tensor,
    w: torch.Tensor,
    f: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    groups: int = 1,
    bias: torch.Tensor | None = None,
) -> torch.Tensor:
    """Convolve ``x`` with ``w`` and resample by ``up`` or ``down`` using filter ``f``.

    Args:
        x: Input ``[N, C_in * ..., H, W]`` (``groups * I`` channels).
        w: Weight ``[groups * O, I, kh, kw]`` with odd ``kh == kw``.
        f: FIR filter for resampling (from ``setup_filter``); required when ``up`` or ``down`` > 1.
        up: Integer upsampling factor.
        down: Integer downsampling factor (only one of ``up``/``down`` may exceed 1).
        groups: Convolution groups (``N`` for per-sample weights).
        bias: Optional ``[groups * O]`` added to the output (inside oneDNN's convolution where the conv is
            the last step; as a separate add after up-sampling).

    Returns:
        ``[N, groups * O, H * up // down, W * up // down]``.
    """
    kh, kw = w.shape[2], w.shape[3]
    if kh != kw or kw % 2 != 1:
        raise ValueError(f"conv2d_resample: expected an odd square kernel, got {kh}x{kw}")
    if up > 1 and down > 1:
        raise ValueError("conv2d_resample: up and down cannot both exceed 1")
    if (up > 1 or down > 1) and f is None:
        raise ValueError("conv2d_resample: a resampling filter f is required when up or down > 1")
    fw = 1 if f is None else f.shape[-1]

    if down > 1:
        p = (fw - down) + (kw - 1)
        if kw == 1:  # filter with stride, then the 1x1 conv on the kept pixels only
            x = upfirdn2d(x, f, down=down, padding=((p + 1) // 2, p // 2, (p + 1) // 2, p // 2))
            return F.conv2d(x, w, bias, groups=groups)
        x = upfirdn2d(x, f, padding=((p + 1) // 2, p // 2, (p + 1) // 2, p // 2))
        return F.conv2d(x, w, bias, stride=down, groups=groups)

    if up > 1:
        p = (fw - up) - (kw - 1)
        if kw == 1:  # the 1x1 conv commutes with the FIR upsampling: run it at the low resolution
            x = F.conv2d(x, w, groups=groups)
            p = fw - up
            x = upfirdn2d(x, f, up=up, padding=((p + 1) // 2 + up - 1, p // 2) * 2, gain=up * up)
            return x if bias is None else x + bias.reshape(1, -1, 1, 1)
        num_o = w.shape[0] // groups
        # [G*O, I, k, k] -> [G*I, O, k, k]: conv_transpose2d wants in-channels first.
        wt = w.reshape(groups, num_o, -1, kh, kw).transpose(1, 2).reshape(-1, num_o, kh, kw)
        x = F.conv_transpose2d(x, wt, stride=up, groups=groups)
        pad0, pad1 = (p + 1) // 2 + up - 1, p // 2 + 1
        x = upfirdn2d(x, f, padding=(pad0, pad1, pad0, pad1), gain=up * up)
        return x if bias is None else x + bias.reshape(1, -1, 1, 1)

    return F.conv2d(x, w, bias, padding=kw // 2, groups=groups)
