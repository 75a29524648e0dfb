"""Equalized learning rate layers (Karras et al. 2018, ProGAN section 4.1).

Parameters are stored as ``N(0, 1) / lr_multiplier`` and scaled at run time by
``lr_multiplier / sqrt(fan_in)``, so every layer learns at the same speed under Adam whatever its
fan-in, and ``lr_multiplier`` (0.01 in the StyleGAN mapping network) slows a layer down. Biases
are stored divided by ``lr_multiplier`` and scaled back at run time.

Names and shapes follow the official StyleGAN2 layout (``weight``, ``bias``, ``resample_filter``)
so that official checkpoints load into these modules unchanged.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ganforge.nn.bias_act import activation_funcs, bias_act
from ganforge.nn.conv2d_resample import conv2d_resample
from ganforge.nn.fir import setup_filter

__all__ = ["FullyConnectedLayer", "Conv2dLayer"]


class FullyConnectedLayer(torch.nn.Module):
    """Equalized-LR linear layer with a fused bias and activation.

    Args:
        in_features: Input width.
        out_features: Output width.
        bias: Learn a bias.
        activation: Activation name (see ``bias_act``).
        lr_multiplier: Learning-rate multiplier for this layer.
        bias_init: Initial (effective) bias value.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        activation: str = "linear",
        lr_multiplier: float = 1.0,
        bias_init: float = 0.0,
    ):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.activation = activation
        self.weight = torch.nn.Parameter(torch.randn([out_features, in_features]) / lr_multiplier)
        self.bias = torch.nn.Parameter(torch.full([out_features], float(bias_init) / lr_multiplier)) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(in_features)
        self.bias_gain = lr_multiplier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x: [N, in_features]`` -> ``[N, out_features]``."""
        w = self.weight.to(x.dtype) * self.weight_gain
        b = self.bias
        if b is not None:
            b = b.to(x.dtype)
            if self.bias_gain != 1:
                b = b * self.bias_gain
        if self.activation == "linear" and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, activation={self.activation}"


_HOMOGENEOUS = ("linear", "relu", "lrelu")  # act(v * g) == act(v) * g for g > 0


class Conv2dLayer(torch.nn.Module):
    """Equalized-LR conv layer with optional FIR up/down-sampling, bias, activation and clamp.

    Args:
        in_channels: Input channels.
        out_channels: Output channels.
        kernel_size: Odd kernel width.
        bias: Learn a bias (``False`` stores ``bias = None``, as the official skip layers do).
        activation: Activation name (see ``bias_act``).
        up: Upsampling factor (1 or 2).
        down: Downsampling factor (1 or 2).
        resample_filter: FIR taps for resampling; stored as a 2-D ``resample_filter`` buffer.
        conv_clamp: Clamp the output to ``[-conv_clamp, conv_clamp]`` (``None`` disables).
        lr_multiplier: Learning-rate multiplier.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: str = "linear",
        up: int = 1,
        down: int = 1,
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        conv_clamp: float | None = None,
        lr_multiplier: float = 1.0,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.activation = activation
        self.up = up
        self.down = down
        self.conv_clamp = conv_clamp
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]) / lr_multiplier)
        self.bias = torch.nn.Parameter(torch.zeros([out_channels])) if bias else None
        self.register_buffer("resample_filter", setup_filter(resample_filter, separable=False))
        self.weight_gain = lr_multiplier / math.sqrt(in_channels * kernel_size**2)
        self.bias_gain = lr_multiplier
        self.act_gain = activation_funcs[activation].def_gain

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        """``x: [N, in_channels, H, W]`` -> ``[N, out_channels, H * up / down, W * up / down]``."""
        w = self.weight.to(x.dtype) * self.weight_gain
        b = None if self.bias is None else self.bias.to(x.dtype) * self.bias_gain
        act_gain = self.act_gain * gain
        if self.conv_clamp is None and self.activation in _HOMOGENEOUS and act_gain > 0:
            # act(v) * g == act(v * g) for g > 0: fold the gain into w and b, and let the conv add the bias,
            # so only the activation itself is a separate pass (3 fewer passes over x, forward and backward).
            w = w * act_gain
            b = None if b is None else b * act_gain
            x = conv2d_resample(x, w, self.resample_filter, up=self.up, down=self.down, bias=b)
            return bias_act(x, None, act=self.activation, gain=1.0, inplace=not torch.is_grad_enabled())
        x = conv2d_resample(x, w, self.resample_filter, up=self.up, down=self.down)
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        # The conv output is a fresh tensor, so the epilogue may reuse its memory when no autograd is recording.
        return bias_act(x, b, act=self.activation, gain=self.act_gain * gain, clamp=clamp, inplace=not torch.is_grad_enabled())

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, out_channels={self.out_channels}, activation={self.activation}, "
                f"up={self.up}, down={self.down}")
