import math

import pytest
import torch

from ganforge.explore.latents import lerp, slerp, truncate, ws_from_seeds


def test_slerp_endpoints_and_unit_norm():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(5, 32, generator=g), torch.randn(5, 32, generator=g)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)
    ua, ub = a / a.norm(dim=1, keepdim=True), b / b.norm(dim=1, keepdim=True)
    for t in (0.1, 0.37, 0.5, 0.9):
        assert torch.allclose(slerp(ua, ub, t).norm(dim=1), torch.ones(5), atol=1e-5)
    # halfway between orthogonal unit vectors: (e1 + e2) / sqrt(2) (a lerp would have norm 1/sqrt(2))
    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert torch.allclose(slerp(e1, e2, 0.5), torch.tensor([1.0, 1.0]) / math.sqrt(2), atol=1e-6)
    # constant angular speed: t = 1/3 of the way is 30 degrees
    assert torch.allclose(slerp(e1, e2, 1 / 3), torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6)]), atol=1e-6)


def test_slerp_per_sample_t_and_parallel_fallback():
    a = torch.tensor([[2.0, 0.0], [1.0, 0.0]])
    b = torch.tensor([[4.0, 0.0], [0.0, 3.0]])
    out = slerp(a, b, torch.tensor([[0.5], [1.0]]))
    assert torch.allclose(out, torch.tensor([[3.0, 0.0], [0.0, 3.0]]), atol=1e-5)  # parallel: norm lerp 2 -> 4


def test_lerp_endpoints_and_midpoint():
    a, b = torch.randn(3, 8), torch.randn(3, 8)
    assert torch.equal(lerp(a, b, 0.0), a)
    assert torch.allclose(lerp(a, b, 1.0), b)
    assert torch.allclose(lerp(a, b, 0.5), (a + b) / 2)
    with pytest.raises(ValueError, match="shapes differ"):
        lerp(a, b[:2], 0.5)


def test_truncate_matches_mapping_truncation(G):
    ws = ws_from_seeds(G, [0, 1, 2])
    for psi, cutoff in ((0.5, None), (0.7, 2), (1.0, None)):
        expected = ws_from_seeds(G, [0, 1, 2], psi=psi, truncation_cutoff=cutoff)
        assert torch.allclose(truncate(ws, G.mapping.w_avg, psi, cutoff), expected, atol=1e-6)
