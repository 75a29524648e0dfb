"""Kernel Inception Distance (Bińkowski et al. 2018) on feature arrays.

NVIDIA StyleGAN2-ADA convention (REFERENCE Part 2 §2a): cubic polynomial kernel ``k(x, y) = (x·y / d + 1)³``, the
unbiased MMD² estimator on ``num_subsets`` random subsets of ``m = min(N1, N2, max_subset_size)`` samples from each set
(drawn without replacement), averaged over subsets. Papers print KID ×10³.
"""

from __future__ import annotations

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def _as_f64(x: ArrayLike) -> np.ndarray:
    """Returns ``x`` as a float64 numpy array (detached, on CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def polynomial_mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² with the cubic kernel ``(x·y/d + 1)³`` between two equal-size samples.

    Args:
        x: ``[m, D]`` samples.
        y: ``[m, D]`` samples.

    Returns:
        ``(Σ_{i≠j} k(xᵢ,xⱼ) + Σ_{i≠j} k(yᵢ,yⱼ)) / (m(m−1)) − 2 Σ_{i,j} k(xᵢ,yⱼ) / m²``.
    """
    m, d = x.shape
    if y.shape != (m, d) or m < 2:
        raise ValueError(f"need two [m, D] arrays with m >= 2, got {x.shape} and {y.shape}")
    k_xx = (x @ x.T / d + 1) ** 3  # [m, m]
    k_yy = (y @ y.T / d + 1) ** 3  # [m, m]
    k_xy = (x @ y.T / d + 1) ** 3  # [m, m]
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2.0 * k_xy.sum() / (m * m))


def kid_from_features(
    features1: ArrayLike,
    features2: ArrayLike,
    *,
    num_subsets: int = 100,
    max_subset_size: int = 1000,
    seed: int = 0,
) -> float:
    """KID between two feature sets: mean unbiased polynomial MMD² over random subsets.

    Args:
        features1: ``[N1, D]`` features, e.g. generated images.
        features2: ``[N2, D]`` features, e.g. real images.
        num_subsets: Number of subsets (NVIDIA: 100).
        max_subset_size: Largest subset size (NVIDIA: 1000).
        seed: Seed of the subset sampler; the result is deterministic given it.

    Returns:
        KID (not scaled; multiply by 1e3 for paper tables). It can be slightly negative: the estimator is unbiased.
    """
    x, y = _as_f64(features1), _as_f64(features2)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be [N, D] with equal D, got {x.shape} and {y.shape}")
    m = min(x.shape[0], y.shape[0], max_subset_size)
    rng = np.random.default_rng(seed)
    total = 0.0
    for _ in range(num_subsets):
        xs = x[rng.choice(x.shape[0], m, replace=False)]
        ys = y[rng.choice(y.shape[0], m, replace=False)]
        total += polynomial_mmd2_unbiased(xs, ys)
    return total / num_subsets
