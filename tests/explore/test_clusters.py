import numpy as np
import pytest
import torch

from ganforge.explore.clusters import (
    centroid_truncation,
    kmeans,
    kmeans_plus_plus,
    load_centroids,
    sample_w_clusters,
    save_centroids,
)
from ganforge.explore.latents import ws_from_seeds
from ganforge.inference.generate import generate_images


def _blobs():
    """Three tight, well separated blobs of 50, 30 and 20 points in 4-D."""
    g = torch.Generator().manual_seed(0)
    centers = torch.tensor([[0.0, 0, 0, 0], [10, 0, 0, 0], [0, 10, 5, 0]])
    sizes = [50, 30, 20]
    x = torch.cat([c + 0.1 * torch.randn(n, 4, generator=g) for c, n in zip(centers, sizes)])
    truth = torch.cat([torch.full([n], i) for i, n in enumerate(sizes)])
    return x, centers, truth, sizes


def test_kmeans_recovers_hand_made_clusters():
    x, centers, truth, sizes = _blobs()
    for seed in range(5):
        cent, labels, inertia = kmeans(x, 3, seed=seed)
        # match each true center to its nearest found centroid: a permutation, each within 0.1
        match = torch.cdist(centers, cent).argmin(dim=1)
        assert sorted(match.tolist()) == [0, 1, 2]
        assert torch.allclose(cent[match], torch.stack([x[truth == i].mean(0) for i in range(3)]), atol=1e-5)
        assert torch.equal(match[truth], labels)
        assert inertia == pytest.approx(float(sum((x[truth == i] - x[truth == i].mean(0)).square().sum()
                                                   for i in range(3))), rel=1e-4)


def test_kmeans_is_seeded_and_checks_k():
    x = torch.randn(200, 5, generator=torch.Generator().manual_seed(1))
    a, b = kmeans(x, 7, seed=3), kmeans(x, 7, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="number of clusters"):
        kmeans(x, 0)
    with pytest.raises(ValueError, match="number of clusters"):
        kmeans(x[:3], 4)


def test_kmeans_plus_plus_spreads_the_seeds():
    x, centers, _, _ = _blobs()
    init = kmeans_plus_plus(x, 3, torch.Generator().manual_seed(0))
    assert sorted(torch.cdist(init, centers).argmin(dim=1).tolist()) == [0, 1, 2]  # one seed per blob


def test_centroid_truncation(G, tmp_path):
    centroids, counts = sample_w_clusters(G, 4, num_samples=400, seed=0)
    assert centroids.shape == (4, G.w_dim) and int(counts.sum()) == 400 and counts.tolist() == sorted(counts.tolist())[::-1]
    ws = ws_from_seeds(G, [0, 1, 2, 3, 4])
    nearest = torch.cdist(ws[:, 0], centroids).argmin(dim=1)
    assert torch.allclose(centroid_truncation(ws, centroids, 0.0), centroids[nearest][:, None].expand_as(ws))
    assert torch.equal(centroid_truncation(ws, centroids, 1.0), ws)
    # one centroid at w_avg is the global truncation trick
    path = save_centroids(tmp_path / "c.npz", G.mapping.w_avg[None], torch.tensor([1]))
    one = load_centroids(path, G.w_dim)
    a = generate_images(G, [0, 1, 2], psi=0.5, centroids=one).numpy()
    b = generate_images(G, [0, 1, 2], psi=0.5).numpy()
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    with pytest.raises(ValueError, match="this network needs"):
        load_centroids(path, G.w_dim + 1)
