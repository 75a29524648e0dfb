import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganforge.metrics import laplacian_pyramid, swd
from ganforge.metrics.swd import pyr_down, pyr_up


def _images(n: int, res: int, seed: int) -> torch.Tensor:
    """Textured test images on [0, 255]: smooth colour blobs plus fine detail."""
    g = torch.Generator().manual_seed(seed)
    coarse = F.interpolate(torch.rand(n, 3, res // 4, res // 4, generator=g), size=(res, res), mode="bilinear")
    fine = torch.rand(n, 3, res, res, generator=g)
    return (coarse * 180 + fine * 75).round().to(torch.uint8)


def _blur(img: torch.Tensor, sigma: float) -> torch.Tensor:
    r = torch.arange(-4, 5, dtype=torch.float32)
    k = torch.exp(-0.5 * (r / sigma) ** 2)
    k = (k / k.sum()).to(torch.float32)
    x = F.pad(img.float(), (4, 4, 4, 4), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, 9).expand(3, 1, 1, 9), groups=3)
    return F.conv2d(x, k.view(1, 1, 9, 1).expand(3, 1, 9, 1), groups=3)


def test_pyramid_reconstructs_exactly():
    x = _images(2, 32, 0).float()
    levels = laplacian_pyramid(x, 2)
    assert [tuple(lv.shape[-2:]) for lv in levels] == [(32, 32), (16, 16)]
    torch.testing.assert_close(levels[0] + pyr_up(levels[1]), x, rtol=0, atol=1e-4)


def test_pyramid_filter_matches_scipy_mirror():
    ndimage = pytest.importorskip("scipy.ndimage")
    x = _images(1, 16, 1).float()
    k1 = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
    k = np.outer(k1, k1) / 256.0
    ref = np.stack([ndimage.convolve(x[0, c].double().numpy(), k, mode="mirror") for c in range(3)])
    np.testing.assert_allclose(pyr_down(x)[0].numpy(), ref[:, ::2, ::2], atol=1e-4)
    up_ref = np.zeros((3, 32, 32))
    up_ref[:, ::2, ::2] = x[0].double().numpy()
    up_ref = np.stack([ndimage.convolve(up_ref[c], k * 4, mode="mirror") for c in range(3)])
    np.testing.assert_allclose(pyr_up(x)[0].numpy(), up_ref, atol=1e-3)


def test_swd_of_set_with_itself_is_zero_and_keys():
    x = _images(16, 32, 2)
    out = swd(x, x, seed=3)
    assert list(out) == ["SWDx1e3_32", "SWDx1e3_16", "SWDx1e3_avg"]
    assert all(v == pytest.approx(0.0, abs=1e-9) for v in out.values())


def test_swd_ignores_global_affine_change_per_level():
    x = _images(16, 32, 4)
    out = swd(x, x.float() * 0.5 + 20.0, seed=0)
    assert out["SWDx1e3_avg"] == pytest.approx(0.0, abs=0.05)


def test_swd_grows_with_blur():
    real, other = _images(24, 32, 5), _images(24, 32, 6)
    floor = swd(real, other, seed=0)["SWDx1e3_32"]
    values = [swd(real, _blur(other, s), seed=0)["SWDx1e3_32"] for s in (0.5, 1.0, 2.0)]
    assert floor < values[0] < values[1] < values[2]


def test_swd_deterministic_and_batch_independent():
    a, b = _images(12, 16, 7), _images(12, 16, 8)
    first = swd(a, b, seed=11, batch_size=5)
    assert first == swd(a, b, seed=11, batch_size=512)
    assert first != swd(a, b, seed=12)


def test_swd_grayscale_is_tiled():
    a, b = _images(8, 16, 9)[:, :1], _images(8, 16, 10)[:, :1]
    assert swd(a, b) == swd(a.expand(-1, 3, -1, -1), b.expand(-1, 3, -1, -1))


def test_swd_rejects_unequal_sets():
    with pytest.raises(ValueError):
        swd(_images(4, 16, 0), _images(5, 16, 0))


def test_numpy_and_torch_sort_paths_agree():
    from ganforge.metrics.swd import sliced_wasserstein

    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(2000, 147, generator=g), torch.randn(2000, 147, generator=g) * 1.1
    ref = sliced_wasserstein(a, b, np.random.default_rng(0), use_numpy=True)
    other = sliced_wasserstein(a, b, np.random.default_rng(0), use_numpy=False)
    assert other == pytest.approx(ref, rel=1e-5)
