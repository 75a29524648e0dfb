"""StyleGAN3's per-layer filter and sampling schedule (Karras et al. 2021, appendix F.1 and figure 4b).

The synthesis network has ``num_layers`` layers plus ToRGB, at every image resolution. Layer ``i`` (0 = the Fourier
input, ``num_layers`` = the last) has:

* cutoff ``f_c`` growing geometrically from ``first_cutoff`` (2) to ``img_resolution / 2`` over the first
  ``num_layers - num_critical`` layers, then constant: the last ``num_critical`` (2) layers are *critically
  sampled* (cutoff at Nyquist), trading some aliasing for sharp detail;
* stopband ``f_t`` likewise from ``first_stopband`` (``2^2.1``) to ``f_c,last * last_stopband_rel`` (``2^0.3``);
* sampling rate ``s``: the smallest power of two ``>= 2 f_t``, at most ``img_resolution``;
* transition half-width ``f_h = max(f_t, s / 2) - f_c``;
* spatial size ``s + 2 * margin`` (the margin keeps the zero-padded border out of the image; the last two layers
  are cropped to the image);
* channels ``min(channel_base / 2 / f_c, channel_max)`` (the last one ``img_channels``): wide where the band is
  narrow, as in the paper's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LayerSchedule:
    """The band and grid of every layer, index 0 = the Fourier input, ``num_layers`` = the ToRGB layer."""

    cutoffs: tuple[float, ...]
    stopbands: tuple[float, ...]
    sampling_rates: tuple[int, ...]
    half_widths: tuple[float, ...]
    sizes: tuple[int, ...]
    channels: tuple[int, ...]


def layer_schedule(img_resolution: int, img_channels: int, channel_base: int, channel_max: int, num_layers: int = 14,
                   num_critical: int = 2, first_cutoff: float = 2.0, first_stopband: float = 2 ** 2.1,
                   last_stopband_rel: float = 2 ** 0.3, margin_size: int = 10) -> LayerSchedule:
    """The schedule of a synthesis network (see the module docstring); each tuple has ``num_layers + 1`` entries."""
    if num_layers <= num_critical:
        raise ValueError(f"num_layers must exceed num_critical ({num_critical}), got {num_layers}")
    last_cutoff = img_resolution / 2
    last_stopband = last_cutoff * last_stopband_rel
    exponents = np.minimum(np.arange(num_layers + 1) / (num_layers - num_critical), 1)
    cutoffs = first_cutoff * (last_cutoff / first_cutoff) ** exponents
    stopbands = first_stopband * (last_stopband / first_stopband) ** exponents
    sampling_rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, img_resolution))))
    half_widths = np.maximum(stopbands, sampling_rates / 2) - cutoffs
    sizes = sampling_rates + margin_size * 2
    sizes[-2:] = img_resolution
    channels = np.rint(np.minimum((channel_base / 2) / cutoffs, channel_max))
    channels[-1] = img_channels
    return LayerSchedule(cutoffs=tuple(float(v) for v in cutoffs), stopbands=tuple(float(v) for v in stopbands),
                         sampling_rates=tuple(int(v) for v in sampling_rates),
                         half_widths=tuple(float(v) for v in half_widths), sizes=tuple(int(v) for v in sizes),
                         channels=tuple(int(v) for v in channels))
