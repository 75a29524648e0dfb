"""StyleGAN3 synthesis network: Fourier input, ``num_layers`` alias-free layers on the paper's schedule, ToRGB.

Layer ``i`` is named ``L{i}_{out_size}_{out_channels}`` as in the official pickles, so their tensors load by name.
"""

from __future__ import annotations

import torch

from ganforge.models.stylegan3.fourier import SynthesisInput
from ganforge.models.stylegan3.layer import SynthesisLayer
from ganforge.models.stylegan3.schedule import layer_schedule
from ganforge.nn.shape import assert_shape


class SynthesisNetwork(torch.nn.Module):
    """``ws [N, num_ws, w_dim]`` -> images ``[N, img_channels, R, R]``; ``num_ws = num_layers + 2`` (input, layers,
    ToRGB).

    Args:
        w_dim: Width of w.
        img_resolution: Output resolution.
        img_channels: Output channels.
        channel_base: Channels are ``min(channel_base / 2 / cutoff, channel_max)``.
        channel_max: Widest layer.
        num_layers: Layers between the input and ToRGB.
        num_critical: Critically sampled last layers.
        first_cutoff: Cutoff of the input layer.
        first_stopband: Stopband of the input layer.
        last_stopband_rel: Last stopband relative to ``img_resolution / 2``.
        margin_size: Samples beyond the image on each side.
        output_scale: Scale of the ToRGB output.
        conv_kernel: 3 (T) or 1 (R).
        filter_size: Low-pass taps per resampling factor.
        lrelu_upsampling: The nonlinearity's rate relative to a layer's output rate.
        use_radial_filters: Radially symmetric downsampling filters (R).
        conv_clamp: Clamp after every nonlinearity.
        magnitude_ema_beta: Decay of the input-magnitude EMAs.
    """

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 32768,
                 channel_max: int = 512, num_layers: int = 14, num_critical: int = 2, first_cutoff: float = 2.0,
                 first_stopband: float = 2 ** 2.1, last_stopband_rel: float = 2 ** 0.3, margin_size: int = 10,
                 output_scale: float = 0.25, conv_kernel: int = 3, filter_size: int = 6, lrelu_upsampling: int = 2,
                 use_radial_filters: bool = False, conv_clamp: float | None = 256.0, magnitude_ema_beta: float = 0.999):
        super().__init__()
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.num_layers = num_layers
        self.num_ws = num_layers + 2
        self.output_scale = output_scale
        sched = layer_schedule(img_resolution, img_channels, channel_base, channel_max, num_layers=num_layers,
                               num_critical=num_critical, first_cutoff=first_cutoff, first_stopband=first_stopband,
                               last_stopband_rel=last_stopband_rel, margin_size=margin_size)
        self.schedule = sched
        self.input = SynthesisInput(w_dim, sched.channels[0], sched.sizes[0], sched.sampling_rates[0], sched.cutoffs[0])
        self.layer_names: list[str] = []
        for idx in range(num_layers + 1):
            prev = max(idx - 1, 0)
            layer = SynthesisLayer(
                w_dim, is_torgb=idx == num_layers, is_critically_sampled=idx >= num_layers - num_critical,
                in_channels=sched.channels[prev], out_channels=sched.channels[idx], in_size=sched.sizes[prev],
                out_size=sched.sizes[idx], in_sampling_rate=sched.sampling_rates[prev],
                out_sampling_rate=sched.sampling_rates[idx], in_cutoff=sched.cutoffs[prev],
                out_cutoff=sched.cutoffs[idx], in_half_width=sched.half_widths[prev],
                out_half_width=sched.half_widths[idx], conv_kernel=conv_kernel, filter_size=filter_size,
                lrelu_upsampling=lrelu_upsampling, use_radial_filters=use_radial_filters, conv_clamp=conv_clamp,
                magnitude_ema_beta=magnitude_ema_beta)
            name = f"L{idx}_{sched.sizes[idx]}_{sched.channels[idx]}"
            setattr(self, name, layer)
            self.layer_names.append(name)

    def forward(self, ws: torch.Tensor, noise_mode: str = "const", update_emas: bool | None = None,
                **_unused) -> torch.Tensor:
        """``ws [N, num_ws, w_dim]`` -> ``[N, img_channels, R, R]``; ``noise_mode`` is accepted and ignored (StyleGAN3
        has no noise inputs). ``update_emas`` (default: training mode) tracks the layers' input magnitudes."""
        assert_shape(ws, [None, self.num_ws, self.w_dim], "ws")
        ws = ws.to(torch.float32).unbind(dim=1)
        x = self.input(ws[0])
        for name, w in zip(self.layer_names, ws[1:]):
            x = getattr(self, name)(x, w, update_emas=update_emas)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x.to(torch.float32)

    def extra_repr(self) -> str:
        return f"w_dim={self.w_dim}, num_ws={self.num_ws}, img_resolution={self.img_resolution}"
