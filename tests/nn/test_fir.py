import pytest
import torch

from ganforge.nn.fir import setup_filter


def test_binomial_filter_normalised_and_separable():
    f1 = setup_filter([1, 3, 3, 1])
    f2 = setup_filter([1, 3, 3, 1], separable=False)
    torch.testing.assert_close(f1, torch.tensor([1, 3, 3, 1.0]) / 8)
    torch.testing.assert_close(f2, torch.outer(f1, f1))
    assert f2.shape == (4, 4) and abs(f2.sum().item() - 1) < 1e-7
    torch.testing.assert_close(f2 * 64, torch.outer(torch.tensor([1, 3, 3, 1.0]), torch.tensor([1, 3, 3, 1.0])))


def test_gain_and_flip():
    f = setup_filter([1, 2, 5], gain=4)
    assert abs(torch.outer(f, f).sum().item() - 4) < 1e-6  # sqrt(gain) per axis
    g = setup_filter([[1, 2], [3, 4]], normalize=False, flip_filter=True)
    torch.testing.assert_close(g, torch.tensor([[4.0, 3], [2, 1]]))
    assert setup_filter(None).tolist() == [1.0]


def test_bad_filters():
    with pytest.raises(ValueError, match="sum to 0"):
        setup_filter([1, -1])
    with pytest.raises(ValueError, match="separable"):
        setup_filter([[1, 2], [3, 4]], separable=True)
