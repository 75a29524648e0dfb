"""Kaiser-windowed low-pass filter design (Karras et al. 2021, "Alias-Free GANs", appendix C and F).

StyleGAN3 resamples with windowed ideal low-pass filters instead of StyleGAN2's [1, 3, 3, 1] binomial:

* **separable** (config T): a windowed sinc ``h[n] = 2 f_c / f_s * sinc(2 f_c m / f_s) * w[n]`` with
  ``m = n - (N - 1) / 2``, applied along x and then y;
* **radially symmetric** (config R's downsampling): a windowed jinc
  ``h(r) = J1(2 pi f_c r) / (pi r) * w(x) w(y)`` (``r`` in units of the sampling period), which cuts off the
  same band in every direction so that rotations of the signal are not favoured along the axes.

The window is Kaiser's (Kaiser 1974): for ``N`` taps and a transition band of full width ``delta_f`` (in units of
the Nyquist rate ``f_s / 2``) the stopband attenuation is ``A = 2.285 (N - 1) pi delta_f + 7.95`` dB and the
window's shape parameter is ``beta = 0.1102 (A - 8.7)`` above 50 dB, ``0.5842 (A - 21)^0.4 + 0.07886 (A - 21)``
between 21 and 50 dB and 0 below. The design centres the transition band on ``cutoff``: the passband ends at
``cutoff - width / 2``, the stopband starts at ``cutoff + width / 2``. Taps are normalised to unit DC gain.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["kaiser_attenuation", "kaiser_beta", "kaiser_window", "design_lowpass_filter", "frequency_response"]


def kaiser_attenuation(numtaps: int, width: float) -> float:
    """Stopband attenuation in dB reached by ``numtaps`` Kaiser-windowed taps with a transition band of ``width``
    (a fraction of the Nyquist rate, in (0, 1])."""
    return 2.285 * (numtaps - 1) * math.pi * width + 7.95


def kaiser_beta(attenuation_db: float) -> float:
    """Kaiser's empirical shape parameter for a stopband attenuation in dB."""
    a = attenuation_db
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a > 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0


def kaiser_window(numtaps: int, beta: float) -> np.ndarray:
    """``w[n] = I0(beta * sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)``, float64 ``[numtaps]``."""
    if numtaps == 1:
        return np.ones([1])
    t = 2 * np.arange(numtaps) / (numtaps - 1) - 1
    return np.i0(beta * np.sqrt(np.clip(1 - t * t, 0, None))) / np.i0(beta)


def _jinc(r: np.ndarray, cutoff: float) -> np.ndarray:
    """``J1(2 pi f_c r) / (pi r)``, the 2-D ideal low-pass of radius ``f_c``; ``f_c`` at ``r = 0`` (its limit)."""
    j1 = torch.special.bessel_j1(torch.from_numpy(2 * math.pi * cutoff * r)).numpy()  # float64, no scipy needed
    with np.errstate(divide="ignore", invalid="ignore"):
        h = j1 / (math.pi * r)
    return np.where(r == 0, cutoff, h)


def design_lowpass_filter(numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False) -> torch.Tensor | None:
    """A Kaiser-windowed low-pass filter.

    Args:
        numtaps: Number of taps per axis (1 gives ``None``, the identity).
        cutoff: Cutoff frequency ``f_c`` (same units as ``fs``), the centre of the transition band.
        width: Full width of the transition band (same units as ``fs``).
        fs: Sampling rate the filter runs at.
        radial: A radially symmetric jinc filter ``[numtaps, numtaps]`` instead of separable sinc taps ``[numtaps]``.

    Returns:
        float32 taps summing to 1 (1-D ``[numtaps]`` or 2-D ``[numtaps, numtaps]``), or ``None`` when ``numtaps == 1``.
    """
    if numtaps < 1:
        raise ValueError(f"design_lowpass_filter: numtaps must be >= 1, got {numtaps}")
    if numtaps == 1:
        return None
    if not 0 < cutoff < fs / 2:
        raise ValueError(f"design_lowpass_filter: cutoff must be in (0, fs/2) = (0, {fs / 2}), got {cutoff}")
    if width <= 0:
        raise ValueError(f"design_lowpass_filter: width must be > 0, got {width}")
    beta = kaiser_beta(kaiser_attenuation(numtaps, width / (fs / 2)))
    window = kaiser_window(numtaps, beta)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs  # tap positions in units of time (1 / fs per tap)
    if not radial:
        h = 2 * cutoff / fs * np.sinc(2 * cutoff * x) * window
        return torch.tensor(h / h.sum(), dtype=torch.float32)
    r = np.hypot(x[None, :], x[:, None])
    h = _jinc(r, cutoff) * np.outer(window, window)
    return torch.tensor(h / h.sum(), dtype=torch.float32)


def frequency_response(taps: torch.Tensor, freqs: torch.Tensor, fs: float) -> torch.Tensor:
    """``|H(f)|`` of 1-D ``taps`` at ``freqs`` (units of ``fs``): ``|sum_n h[n] exp(-2 pi i f n / fs)|``."""
    n = torch.arange(taps.numel(), dtype=torch.float64) - (taps.numel() - 1) / 2
    phase = 2 * math.pi * freqs.double()[:, None] * n[None, :] / fs  # [F, N]
    return (taps.double()[None, :] * torch.cos(phase)).sum(1).abs()  # symmetric taps: the imaginary part is 0
