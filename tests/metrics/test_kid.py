import numpy as np
import pytest

from ganforge.metrics import kid_from_features, polynomial_mmd2_unbiased


def _naive_mmd2(x, y):
    m, d = x.shape
    k = lambda u, v: (u @ v / d + 1) ** 3  # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j)
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return (xx + yy) / (m * (m - 1)) - 2 * xy / m**2


def test_mmd2_matches_naive_sum():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 3)), rng.standard_normal((7, 3)) + 0.5
    assert polynomial_mmd2_unbiased(x, y) == pytest.approx(_naive_mmd2(x, y), rel=1e-12)


def test_kid_same_distribution_near_zero_and_shift_positive():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2000, 16)), rng.standard_normal((2000, 16))
    same = kid_from_features(a, b, num_subsets=20, max_subset_size=500, seed=0)
    shifted = kid_from_features(a, b + 1.0, num_subsets=20, max_subset_size=500, seed=0)
    assert abs(same) < 5e-3
    assert shifted > 0.5
    assert shifted > 100 * abs(same)


def test_kid_deterministic_given_seed():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((300, 8)), rng.standard_normal((200, 8))
    k1 = kid_from_features(a, b, num_subsets=5, max_subset_size=100, seed=7)
    k2 = kid_from_features(a, b, num_subsets=5, max_subset_size=100, seed=7)
    assert k1 == k2
