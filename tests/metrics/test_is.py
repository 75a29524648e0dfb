import numpy as np
import pytest
import torch

from ganforge.metrics import inception_score_from_logits_or_probs


def test_uniform_probs_give_one():
    p = np.full((100, 10), 0.1)
    mean, std = inception_score_from_logits_or_probs(p)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("num_classes", [2, 7, 10])
def test_one_hot_spread_over_k_classes_gives_k(num_classes):
    labels = np.arange(10 * 10 * num_classes) % num_classes  # each split holds every class equally often
    p = np.eye(num_classes)[labels]
    mean, std = inception_score_from_logits_or_probs(p, num_splits=10)
    assert mean == pytest.approx(num_classes, rel=1e-9)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_logits_equal_probs_path():
    logits = torch.randn(200, 5, dtype=torch.float64) * 3
    probs = torch.softmax(logits, dim=1)
    from_logits = inception_score_from_logits_or_probs(logits, kind="logits")
    from_auto_logits = inception_score_from_logits_or_probs(logits)
    from_probs = inception_score_from_logits_or_probs(probs)
    assert from_logits == pytest.approx(from_probs, rel=1e-9)
    assert from_auto_logits == pytest.approx(from_probs, rel=1e-9)


def test_std_is_population_std_over_splits():
    p = np.concatenate([np.eye(2)[np.arange(10) % 2], np.full((10, 2), 0.5)])
    mean, std = inception_score_from_logits_or_probs(p, num_splits=2)
    assert mean == pytest.approx(1.5)
    assert std == pytest.approx(0.5)
