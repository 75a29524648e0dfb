"""Differentiable (multi-scale) SSIM for small images, as a projection loss.

:func:`ganforge.metrics.ms_ssim` follows Wang et al. (2003) with five scales and an 11x11 window, so it
needs images of at least 176 px. For 16-64 px GAN outputs this module uses a smaller Gaussian window
(7x7, sigma 1) and at most three scales, the per-scale exponents being the first three MS-SSIM weights
renormalised to sum to one. It runs in the input dtype with gradients (the metric module is float64
and detached). With ``window_size=11, sigma=1.5, scales=1`` it equals :func:`ganforge.metrics.ssim`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

K1 = 0.01
K2 = 0.03
SMALL_WINDOW = 7
SMALL_SIGMA = 1.0
SMALL_WEIGHTS = (0.0448, 0.2856, 0.3001)  # Wang et al. (2003) weights of the three finest scales


def _gaussian(window_size: int, sigma: float, like: torch.Tensor) -> torch.Tensor:
    """Normalised 1-D Gaussian ``[window_size]`` in ``like``'s dtype and device."""
    r = torch.arange(window_size, dtype=like.dtype, device=like.device) - window_size // 2
    g = torch.exp(-0.5 * (r / sigma) ** 2)
    return g / g.sum()


def _blur(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable valid-region blur: ``[N, C, H, W] -> [N, C, H-k+1, W-k+1]``."""
    c, k = x.shape[1], g.numel()
    x = F.conv2d(x, g.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)
    return F.conv2d(x, g.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)


def ssim_terms(x: torch.Tensor, y: torch.Tensor, data_range: float, window_size: int = SMALL_WINDOW,
               sigma: float = SMALL_SIGMA) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean SSIM and contrast-structure term per image and channel, each ``[N, C]``.

    Args:
        x: ``[N, C, H, W]`` images, H, W >= ``window_size``.
        y: Images of the same shape.
        data_range: Span of the values (2 for [-1, 1]).
    """
    if x.shape != y.shape:
        raise ValueError(f"ssim: shapes differ, {list(x.shape)} vs {list(y.shape)}")
    if min(x.shape[-2:]) < window_size:
        raise ValueError(f"ssim: images must be at least {window_size}x{window_size}, got {list(x.shape[-2:])}")
    g = _gaussian(window_size, sigma, x)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    mu_x, mu_y = _blur(x, g), _blur(y, g)
    var_x = _blur(x * x, g) - mu_x * mu_x
    var_y = _blur(y * y, g) - mu_y * mu_y
    cov = _blur(x * y, g) - mu_x * mu_y
    cs = (2 * cov + c2) / (var_x + var_y + c2)
    lum = (2 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)
    return (lum * cs).mean(dim=(2, 3)), cs.mean(dim=(2, 3))


def max_scales(size: int, window_size: int = SMALL_WINDOW, limit: int = len(SMALL_WEIGHTS)) -> int:
    """How many 2x-downsampled scales of a ``size`` px image still fit the window (at most ``limit``)."""
    n = 0
    while n < limit and size // 2**n >= window_size:
        n += 1
    return n


def ms_ssim_small(x: torch.Tensor, y: torch.Tensor, data_range: float = 2.0, scales: int | None = None,
                  window_size: int = SMALL_WINDOW, sigma: float = SMALL_SIGMA) -> torch.Tensor:
    """Differentiable multi-scale SSIM with up to three scales, for small images.

    ``prod_{j<M} cs_j^{w_j} * ssim_M^{w_M}`` with 2x2 average pooling between scales and the weights of
    :data:`SMALL_WEIGHTS` renormalised over the scales used. Negative terms are clamped at a small
    positive value before the power (as ``tf.image.ssim_multiscale`` clamps at 0) so gradients stay finite.

    Args:
        x: ``[N, C, H, W]`` images.
        y: Images of the same shape.
        data_range: Span of the values (2 for [-1, 1]).
        scales: Number of scales; ``None`` = as many as fit (at most 3).

    Returns:
        ``[N]`` similarity in about (0, 1], 1 for identical images.
    """
    fit = max_scales(min(x.shape[-2:]), window_size)
    scales = fit if scales is None else scales
    if not 1 <= scales <= fit:
        raise ValueError(f"ms_ssim_small: {scales} scale(s) do not fit {list(x.shape[-2:])} px images "
                         f"with a {window_size}px window (at most {fit})")
    weights = torch.tensor(SMALL_WEIGHTS[:scales], dtype=x.dtype, device=x.device)
    weights = weights / weights.sum()
    result = torch.ones(x.shape[:2], dtype=x.dtype, device=x.device)  # [N, C]
    for j in range(scales):
        s, cs = ssim_terms(x, y, data_range, window_size, sigma)
        last = j == scales - 1
        result = result * (s if last else cs).clamp_min(1e-6) ** weights[j]
        if not last:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return result.mean(dim=1)
