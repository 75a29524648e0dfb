import numpy as np
import pytest
import torch

from ganforge.metrics import ms_ssim, psnr, ssim


def _pair(shape, seed, data_range=1.0):
    rng = np.random.default_rng(seed)
    a = rng.random(shape) * data_range
    b = np.clip(a + 0.1 * data_range * rng.standard_normal(shape), 0, data_range)
    return a, b


@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_psnr_ssim_match_scikit_image(data_range):
    metrics = pytest.importorskip("skimage.metrics")
    a, b = _pair((3, 3, 37, 45), 0, data_range)
    ours_ssim = ssim(torch.from_numpy(a), b, data_range)
    ours_psnr = psnr(a, torch.from_numpy(b).float().double(), data_range)
    for i in range(a.shape[0]):
        ref_ssim = metrics.structural_similarity(
            a[i], b[i], gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range,
            channel_axis=0,
        )
        ref_psnr = metrics.peak_signal_noise_ratio(a[i], b[i], data_range=data_range)
        assert ours_ssim[i].item() == pytest.approx(ref_ssim, abs=1e-5)
        assert ours_psnr[i].item() == pytest.approx(ref_psnr, abs=1e-5)


def test_psnr_closed_form_and_identity():
    a = torch.zeros(1, 1, 4, 4)
    b = torch.full((1, 1, 4, 4), 0.1)
    assert psnr(a, b, 1.0).item() == pytest.approx(20.0)
    assert ssim(torch.ones(2, 3, 16, 16), torch.ones(2, 3, 16, 16), 1.0).tolist() == [1.0, 1.0]


def test_ms_ssim_identity_ordering_and_size_check():
    a, b = _pair((1, 1, 176, 176), 1)
    _, c = _pair((1, 1, 176, 176), 2)
    assert ms_ssim(a, a, 1.0).item() == pytest.approx(1.0)
    mild = ms_ssim(a, np.clip(a + 0.02, 0, 1), 1.0).item()
    noisy = ms_ssim(a, b, 1.0).item()
    assert 1.0 > mild > noisy > ms_ssim(a, c, 1.0).item()
    with pytest.raises(ValueError):
        ms_ssim(a[..., :100, :100], a[..., :100, :100], 1.0)
