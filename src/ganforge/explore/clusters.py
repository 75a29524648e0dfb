"""W clusters and multi-modal truncation (Mokady et al. 2022, "Self-Distilled StyleGAN", section 3.3).

The truncation trick pulls every w toward one global mean; on a multi-modal dataset that mean may
render nothing in particular. Clustering samples of W with k-means and truncating each w toward its
nearest centroid keeps the modes apart: ``w' = c(w) + psi (w - c(w))``.

k-means uses k-means++ seeding (Arthur & Vassilvitskii 2007) and Lloyd iterations, in torch and
seeded by a ``torch.Generator``, so the same seed gives the same centroids. The truncation itself
(:func:`centroid_truncation`) lives in :mod:`ganforge.inference.truncation`, next to the global one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganforge.explore.latents import sample_ws
from ganforge.explore.npz import load_npz, save_npz
from ganforge.inference.truncation import centroid_truncation, nearest_centroids

__all__ = ["kmeans_plus_plus", "kmeans", "sample_w_clusters", "nearest_centroids", "centroid_truncation",
           "save_centroids", "load_centroids"]


def kmeans_plus_plus(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding: ``x: [N, D]`` -> ``[k, D]`` initial centroids.

    The first center is uniform; each next one is drawn with probability proportional to the squared
    distance to the nearest center chosen so far.
    """
    n = x.shape[0]
    first = int(torch.randint(n, [1], generator=generator))
    centers = [x[first]]
    d2 = (x - x[first]).square().sum(dim=1)  # [N]
    for _ in range(1, k):
        total = d2.sum()
        if total <= 0:  # fewer distinct points than k: pick uniformly among the rest
            idx = int(torch.randint(n, [1], generator=generator))
        else:
            idx = int(torch.multinomial((d2 / total).cpu(), 1, generator=generator))
        centers.append(x[idx])
        d2 = torch.minimum(d2, (x - x[idx]).square().sum(dim=1))
    return torch.stack(centers)


def kmeans(x: torch.Tensor, k: int, *, iters: int = 100, seed: int = 0,
           tol: float = 1e-6) -> tuple[torch.Tensor, torch.Tensor, float]:
    """Lloyd's k-means with k-means++ seeding.

    Args:
        x: ``[N, D]`` points.
        k: Number of clusters, ``1 <= k <= N``.
        iters: Maximum Lloyd iterations.
        seed: Seeds the k-means++ draws.
        tol: Stop when no centroid moves more than this (L2).

    Returns:
        ``(centroids [k, D], labels [N] int64, inertia)`` with inertia the sum of squared distances
        of the points to their centroids. A cluster that empties keeps its previous centroid.
    """
    if x.ndim != 2:
        raise ValueError(f"kmeans: x must be [N, D], got {list(x.shape)}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= x.shape[0]:
        raise ValueError(f"kmeans: the number of clusters must be an int in [1, {x.shape[0]}] (the point count), got {k!r}")
    x = x.to(torch.float32)
    gen = torch.Generator().manual_seed(seed)
    centroids = kmeans_plus_plus(x, k, gen)
    for _ in range(iters):
        labels = torch.cdist(x, centroids).argmin(dim=1)  # [N]
        sums = torch.zeros_like(centroids).index_add_(0, labels, x)
        counts = torch.bincount(labels, minlength=k).to(x.dtype)[:, None]  # [k, 1]
        new = torch.where(counts > 0, sums / counts.clamp_min(1), centroids)
        shift = float((new - centroids).norm(dim=1).max())
        centroids = new
        if shift <= tol:
            break
    labels = torch.cdist(x, centroids).argmin(dim=1)
    inertia = float((x - centroids[labels]).square().sum())
    return centroids, labels, inertia


@torch.no_grad()
def sample_w_clusters(G: torch.nn.Module, num_clusters: int, *, num_samples: int = 10000, seed: int = 0,
                      iters: int = 100, c: torch.Tensor | None = None,
                      batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """k-means of ``num_samples`` w = mapping(z), z seeded: ``(centroids [K, w_dim], counts [K])``.

    ``c``: ``[1, c_dim]`` label for a conditional G, else ``None``. Centroids are sorted by size, largest first.
    """
    ws = sample_ws(G, num_samples, seed=seed, c=c, batch_size=batch_size)
    centroids, labels, _ = kmeans(ws, num_clusters, iters=iters, seed=seed)
    counts = torch.bincount(labels, minlength=num_clusters)
    order = torch.argsort(counts, descending=True, stable=True)
    return centroids[order], counts[order]


def save_centroids(path: str | Path, centroids: torch.Tensor, counts: torch.Tensor, **meta: float | int | str) -> Path:
    """Write ``centroids [K, w_dim]`` and ``counts [K]`` (plus scalar metadata) to an ``.npz`` atomically."""
    arrays = {"centroids": centroids.detach().cpu().numpy().astype(np.float32),
              "counts": counts.detach().cpu().numpy().astype(np.int64)}
    arrays.update({k: np.asarray(v) for k, v in meta.items()})
    return save_npz(path, arrays)


def load_centroids(path: str | Path, w_dim: int | None = None) -> torch.Tensor:
    """Read ``centroids [K, w_dim]`` from a file written by :func:`save_centroids` (``ganforge clusters``).

    Raises:
        ValueError: Missing file, no ``centroids`` array, or a width other than ``w_dim``.
    """
    data = load_npz(path, "--centroids")
    if "centroids" not in data:
        raise ValueError(f"--centroids {path}: no 'centroids' array (write it with `ganforge clusters`)")
    c = torch.from_numpy(np.asarray(data["centroids"], dtype=np.float32))
    if c.ndim != 2 or (w_dim is not None and c.shape[1] != w_dim):
        raise ValueError(f"--centroids {path}: centroids are {list(c.shape)}, this network needs [K, {w_dim}]")
    return c
