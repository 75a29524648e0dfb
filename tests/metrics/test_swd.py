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
    ref = sliced_wasserstein(a, b, np.random.default_rng(0), sorter="numpy")
    other = sliced_wasserstein(a, b, np.random.default_rng(0), sorter="torch")
    assert other == pytest.approx(ref, rel=1e-5)


def _sorted_l1_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(np.sort(a, axis=1) - np.sort(b, axis=1)).sum(axis=1, dtype=np.float64)


@pytest.mark.parametrize("cols", [0, 1, 5, 47, 49, 3000])
def test_native_sorted_l1_equals_numpy_sort(cols):
    native = pytest.importorskip("ganforge._sortdiff", reason="the C extension was not built (no compiler)")
    rng = np.random.default_rng(cols)
    a = (rng.standard_normal((6, cols)) * 3).astype(np.float32)
    b = (rng.standard_normal((6, cols)) * 0.5 + 1).astype(np.float32)
    if cols >= 5:
        a[0, :5] = [-0.0, 0.0, 1e-40, -1e-40, np.float32(3.4e38)]  # signed zeros, subnormals, the largest float
        b[1] = 2.5  # a constant row: every digit pass is the same bucket
        a[2] = rng.integers(-3, 3, cols)  # many ties
        b[3] = rng.uniform(-1e30, 1e30, cols)  # every exponent
    ref = _sorted_l1_reference(a, b)
    out = np.full(6, np.nan)
    native.sorted_l1_rows(a.copy(), b.copy(), out, 0, 6)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=0)


def test_native_sorted_l1_large_bucket_and_row_range():
    native = pytest.importorskip("ganforge._sortdiff", reason="the C extension was not built (no compiler)")
    rng = np.random.default_rng(0)
    # 70 000 values in [1, 1.25) share their top 11 bits: one bucket larger than the in-cache scratch.
    a = rng.uniform(1.0, 1.25, (3, 70_000)).astype(np.float32)
    b = rng.standard_normal((3, 70_000)).astype(np.float32)
    out = np.full(3, -1.0)
    native.sorted_l1_rows(a.copy(), b.copy(), out, 1, 3)
    assert out[0] == -1.0  # rows outside start:stop are not touched
    np.testing.assert_allclose(out[1:], _sorted_l1_reference(a[1:], b[1:]), rtol=1e-12)


def test_native_sorted_l1_rejects_bad_buffers():
    native = pytest.importorskip("ganforge._sortdiff", reason="the C extension was not built (no compiler)")
    a = np.zeros((2, 4), np.float32)
    out = np.zeros(2)
    with pytest.raises(ValueError, match="float32"):
        native.sorted_l1_rows(a.astype(np.float64), a, out, 0, 2)
    with pytest.raises(ValueError, match="same shape"):
        native.sorted_l1_rows(a, np.zeros((2, 5), np.float32), out, 0, 2)
    with pytest.raises(ValueError, match="row range"):
        native.sorted_l1_rows(a, a.copy(), out, 0, 3)
    with pytest.raises(ValueError, match="float64"):
        native.sorted_l1_rows(a, a.copy(), np.zeros(2, np.float32), 0, 2)


def test_swd_sorters_agree():
    from ganforge.metrics.swd import native_available

    a, b = _images(24, 32, 12), _images(24, 32, 13)
    ref = swd(a, b, seed=1, sorter="numpy")
    others = ["torch"] + (["native"] if native_available() else [])
    for sorter in others:
        out = swd(a, b, seed=1, sorter=sorter)
        assert out == pytest.approx(ref, rel=1e-5), sorter
    assert swd(a, b, seed=1) == (swd(a, b, seed=1, sorter="native") if native_available() else ref)


def test_swd_rejects_unknown_sorter():
    with pytest.raises(ValueError, match="sorter"):
        swd(_images(4, 16, 0), _images(4, 16, 1), sorter="quick")


def test_normalize_matches_population_std():
    from ganforge.metrics.swd import _normalize

    g = torch.Generator().manual_seed(0)
    desc = torch.rand(20_000, 3, 7, 7, generator=g) * torch.tensor([200.0, 3.0, 50.0]).view(1, 3, 1, 1) + 100
    std, mean = torch.std_mean(desc.double(), dim=(0, 2, 3), keepdim=True, correction=0)
    expected = ((desc.double() - mean) / std).reshape(20_000, -1)
    torch.testing.assert_close(_normalize(desc.clone()).double(), expected, rtol=0, atol=5e-6)
