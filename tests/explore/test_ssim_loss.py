import torch

from ganforge.explore.ssim_loss import max_scales, ms_ssim_small
from ganforge.metrics import ssim


def test_single_scale_with_the_standard_window_equals_the_metric():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(3, 3, 32, 32, generator=g, dtype=torch.float64) * 2 - 1
    b = (a + 0.3 * torch.randn(3, 3, 32, 32, generator=g, dtype=torch.float64)).clamp(-1, 1)
    ours = ms_ssim_small(a, b, data_range=2.0, scales=1, window_size=11, sigma=1.5)
    assert torch.allclose(ours, ssim(a, b, data_range=2.0), atol=1e-10)


def test_identical_is_one_and_gradients_are_finite():
    a = torch.rand(2, 3, 32, 32) * 2 - 1
    assert torch.allclose(ms_ssim_small(a, a), torch.ones(2), atol=1e-6)
    b = torch.zeros_like(a).requires_grad_(True)  # flat image: negative / zero terms are clamped
    s = ms_ssim_small(a, b)
    s.sum().backward()
    assert torch.isfinite(b.grad).all() and (s < 0.5).all()


def test_scale_count():
    assert max_scales(32) == 3 and max_scales(16) == 2 and max_scales(8) == 1
    a, b = torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16)
    assert ms_ssim_small(a, b).shape == (1,)
