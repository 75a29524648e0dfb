"""One StyleGAN3 synthesis layer (Karras et al. 2021, section 3 and appendix F): modulated convolution, then the
alias-free nonlinearity between two sampling grids.

The layer takes a signal sampled at ``in_sampling_rate`` (band-limited to ``in_cutoff``) on ``in_size`` samples and
returns one at ``out_sampling_rate`` (band-limited to ``out_cutoff``) on ``out_size`` samples:

1. divide by the running RMS of the input (``magnitude_ema``, tracked in training mode), which replaces the
   normalisation StyleGAN2 got from its noise and skip structure;
2. modulated 3x3 (T) or 1x1 (R) convolution, "full" (padding ``k - 1``, so no samples at the border are lost);
   the weights and styles are first scaled to unit RMS, which keeps fp16 in range and does not change the result
   after demodulation;
3. :func:`~ganforge.nn.filtered_lrelu.filtered_lrelu` at ``tmp_sampling_rate = max(in, out) * lrelu_upsampling``:
   upsample by ``tmp / in`` through a low-pass at ``in_cutoff``, leaky ReLU, clamp, low-pass at ``out_cutoff`` and
   downsample by ``tmp / out``. Config R's downsampling filter is radially symmetric except in the critically
   sampled layers.

The ToRGB layer (the last one) is a plain modulated 1x1 convolution without demodulation, a bias and a clamp.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.nn.equalized import FullyConnectedLayer
from ganforge.nn.filtered_lrelu import filtered_lrelu
from ganforge.nn.lowpass import design_lowpass_filter
from ganforge.nn.shape import assert_shape


def modulated_conv2d_sg3(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor, demodulate: bool,
                         input_gain: torch.Tensor | None) -> torch.Tensor:
    """``x [N, I, H, W]``, ``weight [O, I, k, k]``, ``styles [N, I]`` -> full convolution ``[N, O, H+k-1, W+k-1]``.

    Computed by scaling the activations (``conv(x * s, w) * d``, one shared-weight conv for the batch), which equals
    the paper's per-sample weights ``w'' = d * s * w``.
    """
    N, I = x.shape[0], x.shape[1]
    O, _, k, _ = weight.shape
    weight = weight.to(x.dtype)
    styles = styles.to(x.dtype)
    scale = x.new_ones([N, O])
    if demodulate:
        weight = weight * weight.square().mean([1, 2, 3], keepdim=True).rsqrt()  # unit RMS per output channel
        styles = styles * styles.square().mean().rsqrt()
        scale = (styles.square() @ weight.square().sum([2, 3]).t() + 1e-8).rsqrt()  # [N, O]
    if input_gain is not None:
        scale = scale * input_gain.to(x.dtype)
    y = F.conv2d(x * styles.view(N, I, 1, 1), weight, padding=k - 1)
    return y * scale.view(N, O, 1, 1)


class SynthesisLayer(torch.nn.Module):
    """A StyleGAN3 layer ``(x [N, in_channels, in_size, in_size], w [N, w_dim]) -> [N, out_channels, out_size, out_size]``.

    Args:
        w_dim: Width of w.
        is_torgb: The final ToRGB layer (1x1, no demodulation, linear).
        is_critically_sampled: Cutoff at Nyquist (the last layers): no radial filter, tighter band.
        in_channels: Input channels.
        out_channels: Output channels.
        in_size: Input samples per side.
        out_size: Output samples per side.
        in_sampling_rate: Input sampling rate.
        out_sampling_rate: Output sampling rate.
        in_cutoff: Cutoff of the input band (the upsampling filter).
        out_cutoff: Cutoff of the output band (the downsampling filter).
        in_half_width: Transition half-width at the input.
        out_half_width: Transition half-width at the output.
        conv_kernel: 3 (config T) or 1 (config R).
        filter_size: Low-pass taps per resampling factor.
        lrelu_upsampling: The nonlinearity's rate relative to the output rate.
        use_radial_filters: Radially symmetric downsampling filter (config R).
        conv_clamp: Clamp after the nonlinearity (``None`` disables).
        magnitude_ema_beta: Decay of the input-magnitude EMA.
    """

    def __init__(self, w_dim: int, is_torgb: bool, is_critically_sampled: bool, in_channels: int, out_channels: int,
                 in_size: int, out_size: int, in_sampling_rate: float, out_sampling_rate: float, in_cutoff: float,
                 out_cutoff: float, in_half_width: float, out_half_width: float, conv_kernel: int = 3,
                 filter_size: int = 6, lrelu_upsampling: int = 2, use_radial_filters: bool = False,
                 conv_clamp: float | None = 256.0, magnitude_ema_beta: float = 0.999):
        super().__init__()
        self.w_dim = w_dim
        self.is_torgb = is_torgb
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.in_size = int(in_size)
        self.out_size = int(out_size)
        self.conv_kernel = 1 if is_torgb else conv_kernel
        self.conv_clamp = conv_clamp
        self.magnitude_ema_beta = magnitude_ema_beta
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1.0)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, self.conv_kernel, self.conv_kernel]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.register_buffer("magnitude_ema", torch.ones([]))

        # the grid the nonlinearity runs on, and the integer factors to and from it
        tmp_rate = max(in_sampling_rate, out_sampling_rate) * (1 if is_torgb else lrelu_upsampling)
        self.up_factor = int(np.rint(tmp_rate / in_sampling_rate))
        self.down_factor = int(np.rint(tmp_rate / out_sampling_rate))
        up_taps = filter_size * self.up_factor if self.up_factor > 1 and not is_torgb else 1
        down_taps = filter_size * self.down_factor if self.down_factor > 1 and not is_torgb else 1
        radial = use_radial_filters and not is_critically_sampled
        self.register_buffer("up_filter", design_lowpass_filter(up_taps, in_cutoff, in_half_width * 2, tmp_rate))
        self.register_buffer("down_filter", design_lowpass_filter(down_taps, out_cutoff, out_half_width * 2, tmp_rate,
                                                                  radial=radial))
        # Padding of the upsampled signal so that the output has out_size samples: (out - 1) * down + 1 samples
        # before decimation, after the conv grew the input by k - 1 and each filter shrank it by taps - 1.
        pad_total = (self.out_size - 1) * self.down_factor + 1
        pad_total -= (self.in_size + self.conv_kernel - 1) * self.up_factor
        pad_total += up_taps + down_taps - 2
        # Split so that the grids stay centred on each other when samples sit at pixel centres (appendix C.3):
        # zero insertion puts input sample j at position j * up of the upsampled signal, half a step off centre.
        pad_lo = (pad_total + self.up_factor) // 2
        self.padding = (pad_lo, pad_total - pad_lo, pad_lo, pad_total - pad_lo)

    def forward(self, x: torch.Tensor, w: torch.Tensor, update_emas: bool | None = None) -> torch.Tensor:
        """``x [N, in_channels, in_size, in_size]``, ``w [N, w_dim]`` -> ``[N, out_channels, out_size, out_size]``.

        ``update_emas`` (default: training mode) moves ``magnitude_ema`` toward this batch's mean square.
        """
        assert_shape(x, [None, self.in_channels, self.in_size, self.in_size], "x")
        assert_shape(w, [x.shape[0], self.w_dim], "w")
        if self.training if update_emas is None else update_emas:
            with torch.no_grad():
                self.magnitude_ema.copy_(x.detach().float().square().mean().lerp(self.magnitude_ema,
                                                                               self.magnitude_ema_beta))
        styles = self.affine(w)  # [N, in_channels]
        if self.is_torgb:
            styles = styles * (1 / math.sqrt(self.in_channels * self.conv_kernel ** 2))
        x = modulated_conv2d_sg3(x, self.weight, styles, demodulate=not self.is_torgb,
                                 input_gain=self.magnitude_ema.rsqrt())
        gain, slope = (1.0, 1.0) if self.is_torgb else (math.sqrt(2), 0.2)
        x = filtered_lrelu(x, self.up_filter, self.down_filter, b=self.bias.to(x.dtype), up=self.up_factor,
                           down=self.down_factor, padding=self.padding, gain=gain, slope=slope, clamp=self.conv_clamp)
        assert_shape(x, [None, self.out_channels, self.out_size, self.out_size], "output")
        return x

    def extra_repr(self) -> str:
        return (f"is_torgb={self.is_torgb}, in={self.in_channels}x{self.in_size}, out={self.out_channels}x{self.out_size},"
                f" up={self.up_factor}, down={self.down_factor}")
