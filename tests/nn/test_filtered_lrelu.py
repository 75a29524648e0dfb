"""The alias-free nonlinearity: separable path == 2-D path, and equivariance to sub-pixel (in its input) translations
that StyleGAN2's unfiltered layer lacks."""

import math

import torch
import torch.nn.functional as F

from ganforge.nn.bias_act import bias_act
from ganforge.nn.filtered_lrelu import filtered_lrelu, resample_separable
from ganforge.nn.fir import setup_filter
from ganforge.nn.lowpass import design_lowpass_filter
from ganforge.nn.upfirdn2d import upfirdn2d, upsample2d

S_IN = 16  # input sampling rate (samples per unit length); the layer doubles it


def band_limited(shift: float, n: int = 64, bandwidth: float = 5.5) -> torch.Tensor:
    """``[1, 1, n, n]`` samples at ``(k + shift) / S_IN`` of a sum of 12 random plane waves below ``bandwidth``."""
    t = (torch.arange(n, dtype=torch.float64) + shift) / S_IN
    gen = torch.Generator().manual_seed(1)
    g = torch.zeros(n, n, dtype=torch.float64)
    for _ in range(12):
        f = torch.rand(2, generator=gen) * 2 - 1
        f = f / f.norm() * torch.rand(1, generator=gen) * bandwidth
        g += torch.cos(2 * math.pi * (f[0] * t[None, :] + f[1] * t[:, None]) + torch.rand(1, generator=gen) * 2 * math.pi)
    return (g / math.sqrt(12))[None, None].float()


def translation_error(layer) -> float:
    """Relative RMS error between layer(x shifted by half an input pixel) and layer(x) shifted by one output pixel."""
    ya, yb = layer(band_limited(0.0)), layer(band_limited(0.5))
    n = ya.shape[-1]
    m = n // 4  # away from the zero-padded borders
    a, b = ya[..., m + 1:n - m + 1, m + 1:n - m + 1], yb[..., m:n - m, m:n - m]
    return ((a - b).square().mean() / a.square().mean()).sqrt().item()


def alias_free(filter_size: int):
    # SG3's rule: the nonlinearity runs at twice the output rate (64), filters of filter_size * factor taps
    fu = design_lowpass_filter(filter_size * 4, cutoff=6.0, width=4.0, fs=64.0)
    fd = design_lowpass_filter(filter_size * 2, cutoff=12.0, width=8.0, fs=64.0)
    return lambda x: filtered_lrelu(x, fu, fd, up=4, down=2)


def test_alias_free_layer_commutes_with_translation_and_stylegan2_layer_does_not():
    sg2_filter = setup_filter([1, 3, 3, 1])
    stylegan2 = translation_error(lambda x: bias_act(upsample2d(x, sg2_filter), act="lrelu"))  # FIR up, then lrelu
    nearest = translation_error(lambda x: bias_act(F.interpolate(x, scale_factor=2, mode="nearest"), act="lrelu"))
    sg3 = translation_error(alias_free(6))  # the paper's filter size
    long = translation_error(alias_free(16))
    assert sg3 < 0.025 and stylegan2 > 0.08 and nearest > 0.4
    assert long < 0.5 * sg3  # longer filters (better stopband) approach exact equivariance


def test_separable_path_equals_outer_product_filter():
    x = torch.randn(2, 3, 9, 11, dtype=torch.float64)
    f = design_lowpass_filter(12, 3.0, 3.0, 32.0).double()
    for up, down, pad in ((2, 1, (5, 6, 4, 7)), (1, 2, (6, 5, 6, 5)), (4, 2, (-1, 3, 2, 2))):
        sep = resample_separable(x, f, up=up, down=down, padding=pad, gain=up * up)
        full = upfirdn2d(x, torch.outer(f, f), up=up, down=down, padding=pad, gain=up * up)
        torch.testing.assert_close(sep, full, rtol=0, atol=1e-12)


def test_filtered_lrelu_steps_and_output_size():
    x = torch.randn(2, 4, 10, 10)
    b = torch.randn(4)
    fu = design_lowpass_filter(12, 4.0, 4.0, 32.0)
    fd = design_lowpass_filter(12, 4.0, 4.0, 32.0, radial=True)
    y = filtered_lrelu(x, fu, fd, b=b, up=2, down=2, padding=(6, 5, 6, 5), gain=1.5, slope=0.1, clamp=0.3)
    h = upfirdn2d(x + b[:, None, None], fu, up=2, padding=(6, 5, 6, 5), gain=4)
    ref = upfirdn2d((F.leaky_relu(h, 0.1) * 1.5).clamp(-0.3, 0.3), fd, down=2)
    assert y.shape == ref.shape == (2, 4, 5, 5)  # ((10*2 + 11 - 12 + 1) - 12) // 2 + 1
    torch.testing.assert_close(y, ref, rtol=1e-5, atol=1e-6)
    assert filtered_lrelu(x, None, None, slope=1.0, gain=1.0).equal(x)  # ToRGB: identity
