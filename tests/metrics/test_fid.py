import numpy as np
import pytest
import torch

from ganforge.metrics import feature_stats, fid_from_features, fid_from_stats


def test_feature_stats_biased_covariance():
    x = np.random.default_rng(0).standard_normal((50, 4))
    mu, sigma = feature_stats(torch.from_numpy(x))
    np.testing.assert_allclose(mu, x.mean(0), atol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False, bias=True), atol=1e-12)


def test_fid_identical_sets_is_zero():
    x = np.random.default_rng(1).standard_normal((500, 32))
    assert abs(fid_from_features(x, x)) < 1e-6
    assert abs(fid_from_features(torch.from_numpy(x).float(), torch.from_numpy(x).float())) < 1e-6


def test_fid_closed_form_diagonal_gaussians():
    rng = np.random.default_rng(2)
    d = 8
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    v1, v2 = rng.uniform(0.5, 2.0, d), rng.uniform(0.5, 2.0, d)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert fid_from_stats(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(expected, abs=1e-10)


def test_fid_from_samples_approaches_closed_form():
    rng = np.random.default_rng(3)
    d, n = 4, 200_000
    s1, s2 = np.array([1.0, 2.0, 0.5, 1.5]), np.array([1.5, 1.0, 1.0, 0.5])
    a = rng.standard_normal((n, d)) * s1
    b = rng.standard_normal((n, d)) * s2 + 1.0
    expected = d * 1.0 + np.sum((s1 - s2) ** 2)
    assert fid_from_features(a, b) == pytest.approx(expected, abs=0.05)


def test_fid_full_covariance_matches_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(4)
    d, n = 64, 2000
    mix1, mix2 = rng.standard_normal((d, d)), rng.standard_normal((d, d))
    a = rng.standard_normal((n, d)) @ mix1
    b = rng.standard_normal((n, d)) @ mix2 + 0.3
    mu1, s1 = feature_stats(a)
    mu2, s2 = feature_stats(b)
    covmean = linalg.sqrtm(s1 @ s2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * covmean)
    assert fid_from_stats(mu1, s1, mu2, s2) == pytest.approx(expected, abs=1e-6)


def test_fid_rejects_bad_shapes():
    with pytest.raises(ValueError):
        fid_from_stats(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
