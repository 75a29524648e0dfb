import pytest
import torch

from ganforge.nn.fir import setup_filter
from ganforge.nn.upfirdn2d import downsample2d, filter2d, upfirdn2d, upsample2d
from tests.nn.naive import naive_upfirdn2d

FILTERS = [[1, 3, 3, 1], [1, 2, 1], [1, 2, 5], [2.0], [[1, 2], [3, 7], [0.5, -1]]]
PADS = [(0, 0, 0, 0), (1, 1, 1, 1), (2, 1, 2, 1), (-1, 2, 0, 3), (3, -1, 2, 2)]


@pytest.mark.parametrize("taps", FILTERS)
@pytest.mark.parametrize("up", [1, 2])
@pytest.mark.parametrize("down", [1, 2])
@pytest.mark.parametrize("pad", PADS)
def test_upfirdn2d_matches_naive_reference(taps, up, down, pad):
    x = torch.randn(2, 3, 7, 6, dtype=torch.float64)
    f = setup_filter(taps, normalize=False).double()
    for flip in (False, True):
        y = upfirdn2d(x, f, up=up, down=down, padding=pad, flip_filter=flip, gain=1.5)
        ref = naive_upfirdn2d(x, f.numpy(), (up, up), (down, down), pad, flip, 1.5)
        assert y.shape == ref.shape
        torch.testing.assert_close(y, ref, rtol=0, atol=1e-10)


def test_upfirdn2d_anisotropic_factors_match_naive():
    x = torch.randn(1, 2, 5, 8, dtype=torch.float64)
    f = setup_filter([1, 3, 3, 1]).double()
    y = upfirdn2d(x, f, up=(2, 1), down=(1, 2), padding=(2, 1, 1, 2))
    ref = naive_upfirdn2d(x, f.numpy(), (2, 1), (1, 2), (2, 1, 1, 2))
    torch.testing.assert_close(y, ref, rtol=0, atol=1e-10)


@pytest.mark.parametrize("up,down", [(1, 1), (2, 1), (1, 2)])
@pytest.mark.parametrize("taps", [[1, 3, 3, 1], [1, 2, 5]])
def test_upfirdn2d_gradient(up, down, taps):
    x = torch.randn(1, 2, 5, 5, dtype=torch.float64, requires_grad=True)
    f = setup_filter(taps).double()
    assert torch.autograd.gradcheck(lambda t: upfirdn2d(t, f, up=up, down=down, padding=(2, 1, 1, 2)), (x,))
    # The gradient is the adjoint of the (linear) op: <A x, r> == <x, A^T r>.
    r = torch.randn_like(upfirdn2d(x, f, up=up, down=down, padding=(2, 1, 1, 2)))
    (g,) = torch.autograd.grad((upfirdn2d(x, f, up=up, down=down, padding=(2, 1, 1, 2)) * r).sum(), x)
    ref = naive_upfirdn2d(x, f.numpy(), (up, up), (down, down), (2, 1, 1, 2))
    assert torch.allclose((ref * r).sum(), (g * x).sum(), atol=1e-10)


def test_resampling_shapes_and_constant_preservation():
    f = setup_filter([1, 3, 3, 1])
    x = torch.full([2, 3, 8, 8], 0.7)
    up = upsample2d(x, f)
    down = downsample2d(x, f)
    same = filter2d(x, f)
    assert up.shape == (2, 3, 16, 16) and down.shape == (2, 3, 4, 4) and same.shape == (2, 3, 8, 8)
    # The normalised filter keeps a constant image constant away from the zero-padded border.
    torch.testing.assert_close(up[:, :, 2:-2, 2:-2], torch.full_like(up[:, :, 2:-2, 2:-2], 0.7))
    torch.testing.assert_close(down[:, :, 1:-1, 1:-1], torch.full_like(down[:, :, 1:-1, 1:-1], 0.7))
    torch.testing.assert_close(same[:, :, 2:-2, 2:-2], torch.full_like(same[:, :, 2:-2, 2:-2], 0.7))


def test_upfirdn2d_preserves_channels_last_and_values():
    f = setup_filter([1, 3, 3, 1])
    x = torch.randn(2, 5, 9, 9)
    y = upfirdn2d(x, f, padding=1)
    y_cl = upfirdn2d(x.contiguous(memory_format=torch.channels_last), f, padding=1)
    assert y_cl.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(y_cl, y)


def test_upfirdn2d_rejects_bad_input():
    f = setup_filter([1, 3, 3, 1])
    with pytest.raises(ValueError, match="x must be"):
        upfirdn2d(torch.zeros(3, 4, 4), f)
    with pytest.raises(ValueError, match="padding"):
        upfirdn2d(torch.zeros(1, 1, 4, 4), f, padding=(1, 2, 3))
    with pytest.raises(ValueError, match="scaling"):
        upfirdn2d(torch.zeros(1, 1, 4, 4), f, up=0)
