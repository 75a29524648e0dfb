"""Full-reference image metrics: PSNR, SSIM (Wang et al. 2004) and MS-SSIM (Wang, Simoncelli & Bovik 2003).

SSIM matches scikit-image's ``structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=R, channel_axis=0)``: an 11×11 Gaussian window (σ = 1.5, truncated at 3.5σ),
``C1 = (0.01 R)²``, ``C2 = (0.03 R)²``, population (biased) local variances, per channel, and the mean of the SSIM map
over the *valid* region (5-pixel border cropped), then over channels. Computation is in float64.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

ArrayLike = np.ndarray | torch.Tensor

K1 = 0.01
K2 = 0.03
GAUSS_SIGMA = 1.5
WINDOW_SIZE = 11
# Wang, Simoncelli & Bovik (2003), Table/§3: weights of the five scales, finest first.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _as_nchw_f64(x: ArrayLike) -> torch.Tensor:
    """``[N, C, H, W]`` or ``[C, H, W]`` (torch or numpy) as a float64 ``[N, C, H, W]`` tensor."""
    t = x.detach() if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    t = t.to(torch.float64)
    if t.ndim == 3:
        t = t[None]
    if t.ndim != 4:
        raise ValueError(f"images must be [N, C, H, W] or [C, H, W], got {tuple(t.shape)}")
    return t


def _check_pair(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: {tuple(a.shape)} vs {tuple(b.shape)}")


def psnr(a: ArrayLike, b: ArrayLike, data_range: float) -> torch.Tensor:
    """Peak signal-to-noise ratio per image, ``10 log10(R² / MSE)`` with the MSE over C, H, W.

    Args:
        a: ``[N, C, H, W]`` or ``[C, H, W]`` images.
        b: Images of the same shape.
        data_range: ``R``, the span of valid values (1.0 for [0, 1], 255 for uint8; 2.0 for [-1, 1]).

    Returns:
        ``[N]`` float64 PSNR in dB (``inf`` for identical images).
    """
    x, y = _as_nchw_f64(a), _as_nchw_f64(b)
    _check_pair(x, y)
    mse = (x - y).square().mean(dim=(1, 2, 3))
    return 10.0 * torch.log10(data_range**2 / mse)


def _gaussian_window(device: torch.device) -> torch.Tensor:
    """Normalised 1-D Gaussian, ``[11]`` float64 (scipy ``gaussian_filter`` with σ = 1.5, truncate 3.5)."""
    r = torch.arange(WINDOW_SIZE, dtype=torch.float64, device=device) - WINDOW_SIZE // 2
    g = torch.exp(-0.5 * (r / GAUSS_SIGMA) ** 2)
    return g / g.sum()


def _blur_valid(x: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter without padding. ``[N, C, H, W] -> [N, C, H−10, W−10]``."""
    c = x.shape[1]
    g = _gaussian_window(x.device)
    x = F.conv2d(x, g.view(1, 1, WINDOW_SIZE, 1).expand(c, 1, WINDOW_SIZE, 1), groups=c)
    return F.conv2d(x, g.view(1, 1, 1, WINDOW_SIZE).expand(c, 1, 1, WINDOW_SIZE), groups=c)


def _ssim_and_cs(x: torch.Tensor, y: torch.Tensor, data_range: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image, per-channel mean SSIM and contrast-structure term, each ``[N, C]``."""
    if min(x.shape[-2:]) < WINDOW_SIZE:
        raise ValueError(f"images must be at least {WINDOW_SIZE}×{WINDOW_SIZE}, got {tuple(x.shape[-2:])}")
    c1 = (K1 * data_range) ** 2
    c2 = (K2 * data_range) ** 2
    mu_x, mu_y = _blur_valid(x), _blur_valid(y)
    var_x = _blur_valid(x * x) - mu_x * mu_x
    var_y = _blur_valid(y * y) - mu_y * mu_y
    cov_xy = _blur_valid(x * y) - mu_x * mu_y
    cs_map = (2 * cov_xy + c2) / (var_x + var_y + c2)
    luminance = (2 * mu_x * mu_y + c1) / (mu_x * mu_x + mu_y * mu_y + c1)
    return (luminance * cs_map).mean(dim=(2, 3)), cs_map.mean(dim=(2, 3))


def ssim(a: ArrayLike, b: ArrayLike, data_range: float) -> torch.Tensor:
    """Mean structural similarity per image (Gaussian 11×11, σ = 1.5, K1 = 0.01, K2 = 0.03, per channel).

    Args:
        a: ``[N, C, H, W]`` or ``[C, H, W]`` images, H, W ≥ 11.
        b: Images of the same shape.
        data_range: ``R`` in the stabilising constants ``C1 = (K1 R)²``, ``C2 = (K2 R)²``.

    Returns:
        ``[N]`` float64 SSIM, the mean over the valid region and the channels.
    """
    x, y = _as_nchw_f64(a), _as_nchw_f64(b)
    _check_pair(x, y)
    return _ssim_and_cs(x, y, data_range)[0].mean(dim=1)


def ms_ssim(
    a: ArrayLike,
    b: ArrayLike,
    data_range: float,
    weights: tuple[float, ...] = MS_SSIM_WEIGHTS,
) -> torch.Tensor:
    """Multi-scale SSIM (Wang et al. 2003): ``Π_{j<M} cs_j^{w_j} · ssim_M^{w_M}``.

    Between scales, images are 2×2 average-pooled. Like ``tf.image.ssim_multiscale``, negative per-scale values are
    clamped at 0 before the power, the product is taken per channel and then averaged over channels.

    Args:
        a: ``[N, C, H, W]`` or ``[C, H, W]`` images; with 5 scales H, W ≥ 11·2⁴ = 176.
        b: Images of the same shape.
        data_range: ``R`` as in :func:`ssim`.
        weights: Per-scale exponents, finest first.

    Returns:
        ``[N]`` float64 MS-SSIM.
    """
    x, y = _as_nchw_f64(a), _as_nchw_f64(b)
    _check_pair(x, y)
    min_size = WINDOW_SIZE * 2 ** (len(weights) - 1)
    if min(x.shape[-2:]) < min_size:
        raise ValueError(f"{len(weights)} scales need images of at least {min_size}², got {tuple(x.shape[-2:])}")
    result = torch.ones(x.shape[:2], dtype=torch.float64, device=x.device)  # [N, C]
    for j, w in enumerate(weights):
        s, cs = _ssim_and_cs(x, y, data_range)
        last = j == len(weights) - 1
        result = result * (s if last else cs).clamp_min(0.0) ** w
        if not last:
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return result.mean(dim=1)
