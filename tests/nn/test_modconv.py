import pytest
import torch
import torch.nn.functional as F

from ganforge.nn.conv2d_resample import conv2d_resample
from ganforge.nn.fir import setup_filter
from ganforge.nn.modconv import demodulation_coefficients, modulated_conv2d
from ganforge.nn.upfirdn2d import upfirdn2d

f = setup_filter([1, 3, 3, 1], separable=False)


@pytest.mark.parametrize("k,up,down", [(3, 1, 1), (3, 2, 1), (3, 1, 2), (1, 1, 1), (1, 2, 1)])
@pytest.mark.parametrize("demodulate", [True, False])
@pytest.mark.parametrize("channels_last", [False, True])
def test_fused_equals_nonfused(k, up, down, demodulate, channels_last):
    x = torch.randn(4, 8, 8, 8)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    w = torch.randn(6, 8, k, k)
    s = torch.randn(4, 8)
    noise = torch.randn(1, 1, 8 * up // down, 8 * up // down)
    a = modulated_conv2d(x, w, s, noise, up=up, down=down, resample_filter=f, demodulate=demodulate, fused=True)
    b = modulated_conv2d(x, w, s, noise, up=up, down=down, resample_filter=f, demodulate=demodulate, fused=False)
    assert a.shape == (4, 6, 8 * up // down, 8 * up // down)
    assert (a - b).abs().max() <= 1e-5 * max(1.0, a.abs().max().item())


def test_matches_explicit_per_sample_weights():
    """Against the definition: w'' = s*w / sqrt(sum (s*w)^2 + 1e-8), one ordinary conv per sample."""
    x, w, s = torch.randn(3, 5, 6, 6, dtype=torch.float64), torch.randn(4, 5, 3, 3, dtype=torch.float64), torch.randn(3, 5, dtype=torch.float64)
    y = modulated_conv2d(x, w, s, fused=False)
    for n in range(3):
        wn = w * s[n].reshape(1, -1, 1, 1)
        wn = wn / (wn.square().sum(dim=[1, 2, 3], keepdim=True) + 1e-8).sqrt()
        torch.testing.assert_close(y[n:n + 1], F.conv2d(x[n:n + 1], wn, padding=1))


def test_demodulation_restores_unit_std():
    torch.manual_seed(1)
    x = torch.randn(8, 64, 16, 16)
    w = torch.randn(64, 64, 3, 3)
    s = torch.randn(8, 64) * 3 + 1  # arbitrary styles
    y = modulated_conv2d(x, w, s)
    assert abs(y.std().item() - 1) < 0.1
    y_nodemod = modulated_conv2d(x, w, s, demodulate=False)
    assert y_nodemod.std().item() > 10  # without demodulation the scale follows the styles and weights


def test_demodulation_coefficients_formula():
    w, s = torch.randn(4, 3, 3, 3, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    ref = ((w[None] * s[:, None, :, None, None]).square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt()
    torch.testing.assert_close(demodulation_coefficients(w, s), ref)


def test_gain_scales_before_noise():
    x, w, s, noise = torch.randn(2, 4, 5, 5), torch.randn(3, 4, 3, 3), torch.randn(2, 4), torch.randn(1, 1, 5, 5)
    y = modulated_conv2d(x, w, s)
    torch.testing.assert_close(modulated_conv2d(x, w, s, noise=noise, gain=2.5), y * 2.5 + noise)


def test_upsampling_conv_is_upsample_then_flipped_conv():
    """conv2d_resample(up=2) == zero insertion, FIR (gain 4), then a true convolution with w.

    The composition keeps the FIR's full support (pad 3) and a valid convolution; this pins the
    kernel orientation (the transposed conv correlates with the flipped kernel) and alignment.
    """
    x, w = torch.randn(2, 3, 6, 6, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    y = conv2d_resample(x, w, f.double(), up=2)
    ref = F.conv2d(upfirdn2d(x, f.double(), up=2, padding=3, gain=4), w.flip([2, 3]))[:, :, :12, :12]
    assert y.shape == (2, 4, 12, 12)
    torch.testing.assert_close(y, ref)


def test_downsampling_conv_is_filter_then_strided_conv():
    x, w = torch.randn(2, 3, 8, 8, dtype=torch.float64), torch.randn(4, 3, 3, 3, dtype=torch.float64)
    y = conv2d_resample(x, w, f.double(), down=2)
    # FIR with padding 2 on each side, then a valid stride-2 correlation.
    xf = F.conv2d(F.pad(x, [2, 2, 2, 2]), f.double()[None, None].expand(3, 1, 4, 4), groups=3)
    torch.testing.assert_close(y, F.conv2d(xf, w, stride=2))
    assert y.shape == (2, 4, 4, 4)


def test_conv2d_resample_errors():
    with pytest.raises(ValueError, match="odd square"):
        conv2d_resample(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="filter"):
        conv2d_resample(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3), up=2)
    with pytest.raises(ValueError, match="styles"):
        modulated_conv2d(torch.zeros(2, 3, 4, 4), torch.zeros(5, 3, 3, 3), torch.zeros(2, 4))
