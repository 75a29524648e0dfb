"""Per-dimension standardisation of feature sets with the *real* set's statistics (rKID, REFERENCE §4b/§4c).

Features of the seeded random Inception (``ganforge.backbones.random_inception``) are small and unevenly scaled; the
KID polynomial kernel's ``+1`` swamps them unless every dimension is first centred and scaled by the reference (real)
set's mean and standard deviation. Fakes use the same (real-set) statistics.
"""

from __future__ import annotations

import torch

__all__ = ["feature_mean_std", "standardize_features"]


def feature_mean_std(reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-dimension mean and std (population, float64) of reference (real) features ``[N, D]`` -> ``([D], [D])``."""
    if reference.ndim != 2 or reference.shape[0] < 2:
        raise ValueError(f"reference must be [N >= 2, D], got {list(reference.shape)}")
    ref = reference.to(torch.float64)
    return ref.mean(dim=0), ref.std(dim=0, correction=0)


def standardize_features(
    features: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, eps: float = 1e-12
) -> torch.Tensor:
    """Standardise ``[N, D]`` features with the reference set's ``mean``/``std`` (``[D]`` each), in float64.

    Use the same (real-set) statistics for reals and fakes. Dimensions that are constant in the reference
    (``std <= eps``, e.g. dead ReLUs) are only centred, so that they cannot blow up.
    """
    if features.ndim != 2 or mean.shape != (features.shape[1],) or std.shape != mean.shape:
        raise ValueError(f"features [N, D] with mean/std [D] expected, got {list(features.shape)}, "
                         f"{list(mean.shape)}, {list(std.shape)}")
    std = std.to(torch.float64)
    scale = torch.where(std > eps, std, torch.ones_like(std))
    return (features.to(torch.float64) - mean.to(torch.float64)) / scale
