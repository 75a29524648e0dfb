"""Modulated convolution with weight demodulation (StyleGAN2, Karras et al. 2020, section 2.2).

Each sample ``n`` gets its own weights: modulation ``w'_oik = s_ni * w_oik`` by the style ``s``,
then demodulation ``w''_oik = w'_oik / sqrt(sum_{i,k} w'_oik^2 + eps)`` which restores unit
output variance for unit-variance input (replacing AdaIN's explicit normalisation).

Two equivalent implementations (STYLE: pick by device, test against each other):

* ``fused=True``: build the per-sample weights ``[N*O, I, k, k]`` and run one grouped conv with
  ``groups=N`` (the paper's formulation; best on GPUs in inference).
* ``fused=False``: scale the *activations* instead, ``conv(x * s, w) * d``, so one ordinary conv
  with the shared weight serves the whole batch (faster on CPUs: oneDNN's grouped conv with
  ``groups = N`` is 1.6x slower at res 32, REFERENCE Part 3).

1x1 kernels without resampling (ToRGB) always run as a batched matmul, which reads ``x`` once.
"""

from __future__ import annotations

import torch

from ganforge.nn.conv2d_resample import conv2d_resample
from ganforge.nn.shape import assert_shape

__all__ = ["modulated_conv2d", "demodulation_coefficients", "default_fused_modconv"]


def default_fused_modconv(device: torch.device, training: bool) -> bool:
    """The faster modconv path: grouped conv in inference on CUDA, activation scaling otherwise."""
    return device.type == "cuda" and not training


def demodulation_coefficients(weight: torch.Tensor, styles: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``d_no = 1 / sqrt(sum_{i,k} (s_ni w_oik)^2 + eps)`` for ``weight: [O, I, kh, kw]``, ``styles: [N, I]`` -> ``[N, O]``.

    Computed as ``s^2 @ (sum_k w^2)^T``, an ``[N, I] x [I, O]`` matmul, instead of materialising
    the ``[N, O, I, k, k]`` per-sample weights.
    """
    return (styles.square() @ weight.square().sum(dim=[2, 3]).t() + eps).rsqrt()


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    noise: torch.Tensor | None = None,
    up: int = 1,
    down: int = 1,
    resample_filter: torch.Tensor | None = None,
    demodulate: bool = True,
    fused: bool = False,
    gain: float = 1.0,
) -> torch.Tensor:
    """Per-sample modulated (and demodulated) convolution.

    Args:
        x: Input ``[N, I, H, W]``.
        weight: Shared weight ``[O, I, kh, kw]`` (odd square kernel).
        styles: Per-sample input-channel scales ``[N, I]``.
        noise: Added after demodulation, broadcastable to ``[N, O, H', W']``; or ``None``.
        up: Upsampling factor (1 or 2).
        down: Downsampling factor (1 or 2).
        resample_filter: FIR filter for resampling.
        demodulate: Apply weight demodulation.
        fused: Grouped-conv implementation (``True``) or activation scaling (``False``).
        gain: Scale of the convolution result (applied before ``noise`` is added), so that callers
            can fold a following positive gain into the demodulation pass.

    Returns:
        ``conv(x, w'') * gain + noise``: ``[N, O, H * up / down, W * up / down]``.
    """
    N, I = x.shape[0], x.shape[1]
    O, _, kh, kw = weight.shape
    assert_shape(weight, [O, I, kh, kw], "weight")
    assert_shape(styles, [N, I], "styles")
    weight = weight.to(x.dtype)
    styles = styles.to(x.dtype)
    dcoefs = demodulation_coefficients(weight, styles) if demodulate else None  # [N, O]
    if gain != 1:
        dcoefs = torch.full([N, O], float(gain), dtype=x.dtype, device=x.device) if dcoefs is None else dcoefs * gain

    if kh == 1 and up == 1 and down == 1:
        # Per-sample 1x1 conv == batched matmul [N, O, I] x [N, I, H*W]; no pass over x for the modulation.
        w = weight.reshape(1, O, I) * styles.reshape(N, 1, I)  # [N, O, I]
        if dcoefs is not None:
            w = w * dcoefs.reshape(N, O, 1)
        H, W = x.shape[2], x.shape[3]
        if x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous():
            y = torch.bmm(x.permute(0, 2, 3, 1).reshape(N, H * W, I), w.transpose(1, 2))  # [N, H*W, O]
            y = y.reshape(N, H, W, O).permute(0, 3, 1, 2)
        else:
            y = torch.bmm(w, x.reshape(N, I, H * W)).reshape(N, O, H, W)
        return y if noise is None else y + noise

    if fused:
        w = weight.unsqueeze(0) * styles.reshape(N, 1, I, 1, 1)  # [N, O, I, kh, kw]
        if dcoefs is not None:
            w = w * dcoefs.reshape(N, O, 1, 1, 1)
        y = conv2d_resample(x.reshape(1, N * I, *x.shape[2:]), w.reshape(N * O, I, kh, kw), resample_filter, up=up, down=down, groups=N)
        y = y.reshape(N, O, *y.shape[2:])
        return y if noise is None else y + noise

    y = conv2d_resample(x * styles.reshape(N, I, 1, 1), weight, resample_filter, up=up, down=down)  # [N, O, H', W']
    if dcoefs is None:
        return y if noise is None else y + noise
    dcoefs = dcoefs.reshape(N, O, 1, 1)
    if not torch.is_grad_enabled():  # y is ours: reuse its memory
        y.mul_(dcoefs)
        return y if noise is None else y.add_(noise)
    return y * dcoefs if noise is None else torch.addcmul(noise, y, dcoefs)
