"""The truncation trick (Karras et al. 2019, "A Style-Based Generator...", appendix B; Brock et al. 2019):
pull ``w`` toward a centre, ``w' = center + psi (w - center)``, trading variety for typical images.

The centre is the generator's tracked mean ``w_avg`` (what ``G.mapping(..., truncation_psi=psi)`` does
inside the model) or, for multi-modal truncation (Mokady et al. 2022, "Self-Distilled StyleGAN",
section 3.3), the W-cluster centroid nearest each sample (:func:`centroid_truncation`).
"""

from __future__ import annotations

import torch


def truncate(ws: torch.Tensor, center: torch.Tensor, psi: float, truncation_cutoff: int | None = None) -> torch.Tensor:
    """The truncation trick toward ``center``: ``center + psi (w - center)`` on the first ``cutoff`` layers.

    Args:
        ws: ``[N, num_ws, w_dim]``.
        center: ``[w_dim]`` (one center, e.g. ``w_avg``) or ``[N, w_dim]`` (one per sample).
        psi: Truncation psi (1 = off).
        truncation_cutoff: Truncate only the first this many layers (``None`` = all).

    Returns:
        ``[N, num_ws, w_dim]``.
    """
    if psi == 1:
        return ws
    center = center.reshape(-1, 1, ws.shape[2]).to(ws.dtype)  # [1|N, 1, w_dim]
    out = ws.clone()
    n = ws.shape[1] if truncation_cutoff is None else min(truncation_cutoff, ws.shape[1])
    out[:, :n] = center + psi * (ws[:, :n] - center)
    return out


def nearest_centroids(w: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Index of the nearest centroid per w: ``w [N, w_dim]``, ``centroids [K, w_dim]`` -> ``[N]`` int64."""
    return torch.cdist(w.to(centroids.dtype), centroids).argmin(dim=1)


def centroid_truncation(ws: torch.Tensor, centroids: torch.Tensor, psi: float,
                        truncation_cutoff: int | None = None) -> torch.Tensor:
    """Multi-modal truncation: each sample is truncated toward the centroid nearest its (first-layer) w.

    Args:
        ws: ``[N, num_ws, w_dim]`` untruncated.
        centroids: ``[K, w_dim]`` (from :func:`ganforge.explore.clusters.sample_w_clusters`).
        psi: Truncation psi (1 = off, 0 = the centroid).
        truncation_cutoff: Truncate only the first this many layers.

    Returns:
        ``[N, num_ws, w_dim]``.
    """
    if centroids.ndim != 2 or centroids.shape[1] != ws.shape[2]:
        raise ValueError(f"centroids must be [K, {ws.shape[2]}] (w_dim of this network), got {list(centroids.shape)}")
    centroids = centroids.to(device=ws.device, dtype=ws.dtype)
    return truncate(ws, centroids[nearest_centroids(ws[:, 0], centroids)], psi, truncation_cutoff)
