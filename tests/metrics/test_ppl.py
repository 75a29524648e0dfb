"""PPL: trimming against a hand-made case, slerp, and exact values on a generator whose synthesis is linear in w."""

import numpy as np
import pytest
import torch
from torch import nn

from ganforge.metrics.ppl import perceptual_path_length, slerp, trimmed_mean
from ganforge.models.network import GeneratorCaps, GeneratorNetwork


def test_trimmed_mean_drops_the_tails():
    dist = np.concatenate([np.arange(200, dtype=np.float64), [1e6]])  # 201 values, one outlier
    # 1st percentile (lower) = value 2, 99th (higher) = value 198: the mean of 2..198 is 100
    assert trimmed_mean(dist) == pytest.approx(100.0)


def test_slerp_endpoints_and_unit_norm():
    a, b = torch.randn(5, 8, dtype=torch.float64), torch.randn(5, 8, dtype=torch.float64)
    torch.testing.assert_close(slerp(a, b, torch.zeros(5, 1, dtype=torch.float64)), a / a.norm(dim=1, keepdim=True))
    torch.testing.assert_close(slerp(a, b, torch.ones(5, 1, dtype=torch.float64)), b / b.norm(dim=1, keepdim=True))
    mid = slerp(a, b, torch.full([5, 1], 0.3, dtype=torch.float64))
    torch.testing.assert_close(mid.norm(dim=1), torch.ones(5, dtype=torch.float64))


class LinearG(GeneratorNetwork):
    """img = tanh-free linear map of w: ``synthesis(ws) = A · ws[:, 0]`` reshaped to [N, 3, 8, 8]; mapping = identity."""

    capabilities = GeneratorCaps(has_mapping=True, has_noise=True, num_ws=2, w_dim=4)

    def __init__(self, scale: float = 1.0, dim: int = 4) -> None:
        super().__init__()
        self.z_dim = self.w_dim = dim
        self.c_dim = 0
        g = torch.Generator().manual_seed(1)
        self.A = nn.Parameter(scale * torch.randn(3 * 8 * 8, dim, generator=g) / 100, requires_grad=False)
        self.register_buffer("noise_const", torch.zeros(8, 8))
        self.mapping = lambda z, c: z[:, None, :].repeat(1, 2, 1)
        self.synthesis = lambda ws, noise_mode="const": (ws[:, 0] @ self.A.T).reshape(-1, 3, 8, 8) + self.noise_const


def _sq_pixel_distance(img0, img1):
    return (img0 - img1).square().sum(dim=(1, 2, 3))


def test_ppl_scales_quadratically_with_the_generator_and_restores_noise():
    g1, g2 = LinearG(1.0), LinearG(2.0)
    kw = dict(num_samples=64, space="w", sampling="full", crop=False, batch_size=16, seed=3)
    p1 = perceptual_path_length(g1, _sq_pixel_distance, **kw)["ppl"]
    p2 = perceptual_path_length(g2, _sq_pixel_distance, **kw)["ppl"]
    assert p1 > 0
    assert p2 == pytest.approx(4 * p1, rel=1e-3)  # squared distance: twice the map, four times the length
    assert torch.count_nonzero(g1.noise_const) == 0  # the randomised noise buffers are put back


def test_ppl_w_end_equals_the_closed_form():
    # lerp in W: img(t + eps) - img(t) = eps * A (w1 - w0), so each sample's length is |A (w1 - w0)|^2 * (255/2)^2
    g = LinearG(1.0)
    n = 32
    out = perceptual_path_length(g, _sq_pixel_distance, num_samples=n, space="w", sampling="end", crop=False,
                                 batch_size=n, seed=5)
    gen = torch.Generator().manual_seed(5)
    torch.rand([n], generator=gen)  # t (unused for 'end')
    z0, z1 = torch.randn([2 * n, g.z_dim], generator=gen).chunk(2)
    lengths = ((z1 - z0) @ g.A.T).square().sum(dim=1).double() * (255 / 2) ** 2
    assert out["ppl"] == pytest.approx(trimmed_mean(lengths.numpy()), rel=1e-2)


def test_ppl_rejects_generators_without_mapping():
    with pytest.raises(ValueError, match="mapping"):
        perceptual_path_length(nn.Linear(2, 2), _sq_pixel_distance, num_samples=2)
