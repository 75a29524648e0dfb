"""Kaiser low-pass design: the passband, transition band and stopband sit where the design puts them."""

import math

import numpy as np
import pytest
import torch

from ganforge.nn.lowpass import design_lowpass_filter, frequency_response, kaiser_attenuation, kaiser_beta, kaiser_window


@pytest.mark.parametrize("numtaps,cutoff,width,fs", [(12, 2.0, 2.3, 32.0), (24, 6.0, 4.0, 64.0), (36, 12.0, 5.0, 64.0)])
def test_separable_response_is_flat_below_the_band_and_attenuated_above(numtaps, cutoff, width, fs):
    h = design_lowpass_filter(numtaps, cutoff, width, fs)
    assert h.shape == (numtaps,) and torch.allclose(h, h.flip(0)) and abs(h.sum().item() - 1) < 1e-6
    # Kaiser's estimate of the ripple in both bands (empirical; loose by up to ~2x at the ~30 dB of short filters)
    ripple = 10 ** (-kaiser_attenuation(numtaps, width / (fs / 2)) / 20)
    passband = frequency_response(h, torch.linspace(0, cutoff - width / 2, 200), fs)
    stopband = frequency_response(h, torch.linspace(cutoff + width / 2, fs / 2, 400), fs)
    assert (passband - 1).abs().max() < 2.5 * ripple
    assert stopband.max() < 2.5 * ripple
    assert abs(frequency_response(h, torch.tensor([cutoff]), fs).item() - 0.5) < 0.1  # the -6 dB point is the cutoff


def test_more_taps_attenuate_more():
    fs, cutoff, width = 64.0, 8.0, 4.0
    worst = [frequency_response(design_lowpass_filter(n, cutoff, width, fs), torch.linspace(10, 32, 300), fs).max()
             for n in (12, 24, 48)]
    assert worst[0] > worst[1] > worst[2] and worst[2] < 5e-3


def test_radial_filter_is_rotation_symmetric_with_the_same_cutoff():
    fs, cutoff, width, n = 32.0, 4.0, 4.0, 24
    h = design_lowpass_filter(n, cutoff, width, fs, radial=True).double()
    assert h.shape == (n, n) and torch.allclose(h, h.t()) and abs(h.sum().item() - 1) < 1e-6
    k = torch.arange(n, dtype=torch.float64) - (n - 1) / 2

    def response(fx, fy):
        return (h * torch.cos(2 * math.pi * (fx * k[None, :] + fy * k[:, None]) / fs)).sum().abs().item()

    for radius, expect in ((1.0, 1.0), (cutoff + width / 2 + 1, 0.0)):  # passband and stopband, in every direction
        values = [response(radius * math.cos(a), radius * math.sin(a)) for a in np.linspace(0, math.pi / 2, 7)]
        assert max(abs(v - expect) for v in values) < 0.03
    # a separable filter passes the diagonal corner (f, f) it cuts on the axes; the radial one does not
    sep = design_lowpass_filter(n, cutoff, width, fs).double()
    sep2d = torch.outer(sep, sep)
    d = cutoff / math.sqrt(2) * 1.25
    corner_sep = (sep2d * torch.cos(2 * math.pi * d * (k[None, :] + k[:, None]) / fs)).sum().item()
    assert corner_sep > 0.4 and response(d, d) < corner_sep


def test_kaiser_formulas():
    assert kaiser_beta(60.0) == pytest.approx(0.1102 * 51.3) and kaiser_beta(10.0) == 0.0
    assert kaiser_beta(30.0) == pytest.approx(0.5842 * 9 ** 0.4 + 0.07886 * 9)
    w = kaiser_window(9, 5.0)
    assert w[4] == pytest.approx(1.0) and np.allclose(w, w[::-1]) and w[0] == pytest.approx(1 / np.i0(5.0))
    assert design_lowpass_filter(1, 2.0, 1.0, 16.0) is None


def test_bad_arguments_fail_in_one_line():
    with pytest.raises(ValueError, match=r"cutoff must be in \(0, fs/2\)"):
        design_lowpass_filter(12, 9.0, 2.0, 16.0)
    with pytest.raises(ValueError, match="width must be > 0"):
        design_lowpass_filter(12, 4.0, 0.0, 16.0)


def test_designs_match_scipy():
    """The separable design is scipy.signal.firwin(numtaps, cutoff, width=width, fs=fs) (Kaiser window), the radial
    one the windowed jinc with scipy's Bessel J1."""
    signal = pytest.importorskip("scipy.signal")
    special = pytest.importorskip("scipy.special")
    for numtaps, cutoff, width, fs in ((12, 2.0, 2.3, 32.0), (24, 6.0, 4.0, 64.0), (12, 8.0, 5.3, 32.0)):
        want = signal.firwin(numtaps, cutoff, width=width, fs=fs)
        assert np.abs(design_lowpass_filter(numtaps, cutoff, width, fs).numpy() - want).max() < 1e-7
    x = (np.arange(12) - 5.5) / 32.0
    r = np.hypot(x[None, :], x[:, None])
    w = signal.get_window(("kaiser", kaiser_beta(kaiser_attenuation(12, 4.0 / 16))), 12, fftbins=False)
    want = special.j1(2 * math.pi * 4.0 * r) / (math.pi * r) * np.outer(w, w)
    got = design_lowpass_filter(12, 4.0, 4.0, 32.0, radial=True).numpy()
    assert np.abs(got - want / want.sum()).max() < 1e-7
