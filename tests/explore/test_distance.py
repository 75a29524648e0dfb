import pytest
import torch

from ganforge.explore.distance import d_feature_distance, lpips_distance, make_distance, weight_free_distance
from ganforge.backbones import LPIPS, VGG16


def _pair():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(2, 3, 16, 16, generator=g) * 2 - 1
    return a, (a + 0.5 * torch.randn(2, 3, 16, 16, generator=g)).clamp(-1, 1)


def test_weight_free_distances_are_zero_on_identical_and_differentiable(D):
    a, b = _pair()
    for dist in (weight_free_distance(), weight_free_distance(D), d_feature_distance(D)):
        assert torch.allclose(dist(a, a), torch.zeros(2), atol=1e-6)
        x = b.clone().requires_grad_(True)
        d = dist(x, a)
        assert d.shape == (2,) and (d > 0).all()
        d.sum().backward()
        assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_lpips_adapter_with_a_random_backbone():
    torch.manual_seed(0)
    lp = LPIPS(VGG16(with_classifier=False)).requires_grad_(False)
    dist = lpips_distance(lp, max_size=16)
    a, b = _pair()
    assert torch.allclose(dist(a, a), torch.zeros(2), atol=1e-6)
    assert torch.allclose(dist(a, b), lp(a, b))
    big_a, big_b = a.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3), b.repeat_interleave(2, 2).repeat_interleave(2, 3)
    assert torch.allclose(dist(big_a, big_b), lp(a, b), atol=1e-5)  # 32 px are area-pooled back to 16 px
    grey = dist(a[:, :1], b[:, :1])  # one channel is repeated to RGB
    assert torch.allclose(grey, lp(a[:, :1].repeat(1, 3, 1, 1), b[:, :1].repeat(1, 3, 1, 1)))


def test_make_distance_names_and_errors(D):
    assert make_distance()[1] == "pixel+ms-ssim"
    assert make_distance(D=D)[1] == "pixel+ms-ssim+d-features"
    assert make_distance(D=D, d_weight=0)[1] == "pixel+ms-ssim"
    with pytest.raises(ValueError, match="--lpips-vgg and --lpips-heads"):
        make_distance(lpips_vgg="vgg.pt")
