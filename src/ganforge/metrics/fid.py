"""Fréchet Inception Distance (Heusel et al. 2017) on feature arrays.

Conventions follow the NVIDIA StyleGAN2-ADA recipe (REFERENCE Part 2 §2a): statistics are computed in float64 with the
**biased** covariance ``Σ = (1/N) Σᵢ (xᵢ − μ)(xᵢ − μ)ᵀ``, and

    FID = ‖μ1 − μ2‖² + tr(Σ1 + Σ2 − 2 (Σ1 Σ2)^½).

NVIDIA takes ``tr sqrtm(Σ1 Σ2)`` with ``scipy.linalg.sqrtm``. Here it is computed with the symmetric eigh trick:
``(Σ1 Σ2)`` is similar to the symmetric PSD matrix ``Σ1^½ Σ2 Σ1^½``, so both have the same eigenvalues and
``tr (Σ1 Σ2)^½ = Σ √λᵢ(Σ1^½ Σ2 Σ1^½)``. Two ``eigh`` calls replace ``sqrtm``: about 6× faster at d = 2048 and no complex
arithmetic; it agrees with ``sqrtm`` to ~1e-12 on full-rank covariances (REFERENCE Part 2 §3).
"""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor

_STATS_CHUNK_ROWS = 8192


def _as_f64(x: ArrayLike) -> np.ndarray:
    """Returns ``x`` as a float64 numpy array (detached, on CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def feature_stats(features: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean and biased covariance of a feature set, in float64.

    Args:
        features: ``[N, D]`` features (torch or numpy).

    Returns:
        ``(mu [D], sigma [D, D])`` with ``sigma = (1/N) Σ (x − μ)(x − μ)ᵀ`` (NVIDIA convention, not ``1/(N−1)``).
    """
    x = _as_f64(features)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"features must be [N, D] with N >= 1, got shape {x.shape}")
    n, d = x.shape
    mu = x.mean(axis=0)
    sigma = np.zeros((d, d), dtype=np.float64)
    # Centred accumulation in chunks: numerically better than raw XᵀX/N − μμᵀ and bounded in memory.
    for start in range(0, n, _STATS_CHUNK_ROWS):
        xc = x[start : start + _STATS_CHUNK_ROWS] - mu  # [n_chunk, D]
        sigma += xc.T @ xc
    sigma /= n
    return mu, sigma


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix, clamping round-off negative eigenvalues to 0."""
    w, v = np.linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1: ArrayLike, sigma2: ArrayLike) -> float:
    """``tr (Σ1 Σ2)^½`` for symmetric PSD ``Σ1, Σ2`` via ``Σ √λ(Σ1^½ Σ2 Σ1^½)``.

    Args:
        sigma1: ``[D, D]`` covariance.
        sigma2: ``[D, D]`` covariance.

    Returns:
        The trace of the principal square root of ``Σ1 Σ2``.
    """
    s1, s2 = _as_f64(sigma1), _as_f64(sigma2)
    r = _psd_sqrt(s1)  # [D, D], symmetric
    m = r @ s2 @ r
    m = (m + m.T) / 2  # remove round-off asymmetry before eigvalsh
    lam = np.linalg.eigvalsh(m)
    return float(np.sqrt(np.clip(lam, 0.0, None)).sum())


def fid_from_stats(mu1: ArrayLike, sigma1: ArrayLike, mu2: ArrayLike, sigma2: ArrayLike) -> float:
    """FID between two Gaussians ``N(μ1, Σ1)`` and ``N(μ2, Σ2)``.

    Args:
        mu1: ``[D]`` mean of set 1.
        sigma1: ``[D, D]`` covariance of set 1.
        mu2: ``[D]`` mean of set 2.
        sigma2: ``[D, D]`` covariance of set 2.

    Returns:
        ``‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^½`` as a Python float.
    """
    m1, m2 = _as_f64(mu1), _as_f64(mu2)
    s1, s2 = _as_f64(sigma1), _as_f64(sigma2)
    d = m1.shape[0]
    if m2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise ValueError(f"shape mismatch: mu1 {m1.shape}, sigma1 {s1.shape}, mu2 {m2.shape}, sigma2 {s2.shape}")
    mean_term = float(np.sum(np.square(m1 - m2)))
    return mean_term + float(np.trace(s1) + np.trace(s2)) - 2.0 * trace_sqrt_product(s1, s2)


def fid_from_features(features1: ArrayLike, features2: ArrayLike) -> float:
    """FID between two feature sets (biased covariances, float64).

    Args:
        features1: ``[N1, D]`` features, e.g. generated images.
        features2: ``[N2, D]`` features, e.g. real images.

    Returns:
        The FID. Compare values only at equal ``N``: small-N FID is biased upwards (REFERENCE Part 2 §3).
    """
    mu1, sigma1 = feature_stats(features1)
    mu2, sigma2 = feature_stats(features2)
    return fid_from_stats(mu1, sigma1, mu2, sigma2)
