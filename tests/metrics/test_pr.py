import numpy as np
import pytest
import torch

from ganforge.metrics import precision_recall
from ganforge.metrics.precision_recall import knn_radii_sq


def test_identical_sets_give_one():
    x = np.random.default_rng(0).standard_normal((300, 16))
    assert precision_recall(x, x, k=3, batch_size=64) == (1.0, 1.0)


def test_disjoint_far_sets_give_zero():
    rng = np.random.default_rng(1)
    real = rng.standard_normal((200, 8))
    fake = rng.standard_normal((150, 8)) + 100.0
    assert precision_recall(real, fake) == (0.0, 0.0)


def test_collapsed_fakes_high_precision_low_recall():
    rng = np.random.default_rng(2)
    real = rng.standard_normal((1000, 2))
    fake = rng.standard_normal((1000, 2)) * 0.1  # all near the real mode
    precision, recall = precision_recall(torch.from_numpy(real), torch.from_numpy(fake), k=3)
    assert precision > 0.95
    assert recall < 0.3


def test_knn_radii_match_brute_force():
    x = torch.randn(50, 3, dtype=torch.float64)
    d2 = torch.cdist(x, x).square()
    expected = d2.sort(dim=1).values[:, 3]
    torch.testing.assert_close(knn_radii_sq(x, 3, batch_size=7), expected, rtol=1e-9, atol=1e-9)


def test_batch_size_does_not_change_result():
    rng = np.random.default_rng(3)
    real, fake = rng.standard_normal((120, 4)), rng.standard_normal((90, 4)) * 1.3
    assert precision_recall(real, fake, batch_size=7) == precision_recall(real, fake, batch_size=1000)
    assert precision_recall(real, fake) == pytest.approx(precision_recall(real, fake, dtype=torch.float32), abs=0.02)
