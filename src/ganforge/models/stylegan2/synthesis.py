"""StyleGAN2 synthesis network (Karras et al. 2020): modulated convs, noise, skip/resnet/orig.

Block ``b{R}`` works at resolution ``R``: the first (``b4``) starts from a learned constant (``input="const"``) or
from StyleGAN3's Fourier features sampled on its 4x4 grid (``input="fourier"``, the StyleGAN3 paper's config B,
see :data:`FOURIER_SAMPLING_RATE`); the others upsample 2x in their first conv. ``skip`` (config F's default) sums
the ToRGB outputs of every block, upsampled, into the image; ``resnet`` adds a residual 1x1 up-conv per block;
``orig`` has one ToRGB at the end.

On CPU the activations run channels-last (oneDNN's convs are 1.2-1.9x faster that way here, see
docs/performance.md); the returned image is always a standard contiguous tensor.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ganforge.models.checks import (block_shape, check_channels, check_choice, check_init_res, check_non_negative,
                                   check_resolution)
from ganforge.nn.bias_act import activation_funcs, bias_act
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.fir import setup_filter
from ganforge.nn.modconv import default_fused_modconv, modulated_conv2d
from ganforge.nn.shape import assert_shape
from ganforge.nn.upfirdn2d import upsample2d

NOISE_MODES = ("random", "const", "none")
INPUTS = ("const", "fourier")
FOURIER_SAMPLING_RATE = 4.0
"""Samples per image width of the Fourier input: the 4x4 grid of ``b4`` covers exactly the image (image coordinates
-0.5..0.5, samples at the pixel centres +-0.125, +-0.375), no margin: the 3x3 convs pad with zeros, so samples
beyond the image could not be kept without changing every block's size."""
FOURIER_BANDWIDTH = 1.0
"""Radius of the frequency disc of the Fourier input, in cycles per image width: half the 4x4 grid's Nyquist
frequency (2), so that every sinusoid is resolved by the grid, and the band fade of transforms (which reaches 0 at
Nyquist) has room."""
_HOMOGENEOUS = ("linear", "relu", "lrelu")  # act(v * g) == act(v) * g for g > 0
ARCHITECTURES = ("orig", "skip", "resnet")


class SynthesisLayer(torch.nn.Module):
    """Modulated 3x3 conv (optionally 2x up) + per-pixel noise + bias + activation."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        kernel_size: int = 3,
        up: int = 1,
        use_noise: bool = True,
        activation: str = "lrelu",
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        conv_clamp: float | None = None,
        shape: tuple[int, int] | None = None,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resolution = resolution
        self.shape = tuple(shape) if shape is not None else (resolution, resolution)  # output (height, width)
        self.up = up
        self.use_noise = use_noise
        self.activation = activation
        self.conv_clamp = conv_clamp
        self.act_gain = activation_funcs[activation].def_gain
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.register_buffer("resample_filter", setup_filter(resample_filter, separable=False))
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        if use_noise:
            self.register_buffer("noise_const", torch.randn(list(self.shape)))
            self.noise_strength = torch.nn.Parameter(torch.zeros([]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random", fused_modconv: bool = False, gain: float = 1.0) -> torch.Tensor:
        """``x: [N, in_channels, H/up, W/up]``, ``w: [N, w_dim]`` -> ``[N, out_channels, H, W]`` (``(H, W) = shape``)."""
        height, width = self.shape
        assert_shape(x, [None, self.in_channels, height // self.up, width // self.up], "x")
        styles = self.affine(w)  # [N, in_channels]
        noise = None
        if self.use_noise and noise_mode == "random":
            noise = torch.randn([x.shape[0], 1, height, width], device=x.device, dtype=x.dtype) * self.noise_strength.to(x.dtype)
        elif self.use_noise and noise_mode == "const":
            noise = (self.noise_const * self.noise_strength).to(x.dtype)
        act_gain = self.act_gain * gain
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        if torch.is_grad_enabled() or self.activation not in _HOMOGENEOUS:
            x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, resample_filter=self.resample_filter, fused=fused_modconv)
            return bias_act(x, self.bias, act=self.activation, gain=act_gain, clamp=clamp)
        # Inference: act(v) * g == act(v * g) for g > 0, so the gain, bias and (batch-constant)
        # noise all fold into the demodulation pass: 2 passes over x here instead of 5.
        bias = self.bias.to(x.dtype).reshape(-1, 1, 1)
        shift = ((bias if noise is None or noise.ndim == 4 else bias + noise) * act_gain).unsqueeze(0)  # [1, O, 1|R, 1|R]
        if x.is_contiguous(memory_format=torch.channels_last):
            shift = shift.contiguous(memory_format=torch.channels_last)  # same layout as the conv output: a streaming add
        if noise is not None and noise.ndim == 4:  # per-sample random noise: keep it a separate add
            x = modulated_conv2d(x, self.weight, styles, noise=noise * act_gain, up=self.up, resample_filter=self.resample_filter, fused=fused_modconv, gain=act_gain)
            x.add_(shift)
        else:
            x = modulated_conv2d(x, self.weight, styles, noise=shift, up=self.up, resample_filter=self.resample_filter, fused=fused_modconv, gain=act_gain)
        return bias_act(x, None, act=self.activation, gain=1.0, clamp=clamp, inplace=True)

    def extra_repr(self) -> str:
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}, resolution={self.resolution}, up={self.up}"


class ToRGBLayer(torch.nn.Module):
    """Modulated (not demodulated) 1x1 conv from features to image channels."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 1, conv_clamp: float | None = None):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, in_channels, bias_init=1)
        self.weight = torch.nn.Parameter(torch.randn([out_channels, in_channels, kernel_size, kernel_size]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)

    def forward(self, x: torch.Tensor, w: torch.Tensor, fused_modconv: bool = False) -> torch.Tensor:
        """``x: [N, in_channels, R, R]``, ``w: [N, w_dim]`` -> ``[N, out_channels, R, R]``."""
        styles = self.affine(w) * self.weight_gain
        x = modulated_conv2d(x, self.weight, styles, demodulate=False, fused=fused_modconv)
        return bias_act(x, self.bias, clamp=self.conv_clamp, inplace=not torch.is_grad_enabled())


class SynthesisBlock(torch.nn.Module):
    """One resolution of the synthesis network: (const or up-conv) + conv + ToRGB/skip."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        w_dim: int,
        resolution: int,
        img_channels: int,
        is_last: bool,
        architecture: str = "skip",
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        conv_clamp: float | None = None,
        use_fp16: bool = False,
        shape: tuple[int, int] | None = None,
        input: str = "const",
    ):
        super().__init__()
        check_choice("input", input, INPUTS)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resolution = resolution
        self.shape = tuple(shape) if shape is not None else (resolution, resolution)
        self.img_channels = img_channels
        self.is_last = is_last
        self.architecture = architecture
        self.use_fp16 = use_fp16
        self.input_kind = input if in_channels == 0 else None
        if self.input_kind == "fourier":
            from ganforge.models.stylegan3.fourier import SynthesisInput

            if self.shape != (4, 4):
                raise ValueError(f"input='fourier' needs a square 4x4 first block, got {self.shape}")
            self.input = SynthesisInput(w_dim, out_channels, 4, FOURIER_SAMPLING_RATE, FOURIER_BANDWIDTH)
        elif in_channels == 0:
            self.const = torch.nn.Parameter(torch.randn([out_channels, *self.shape]))
        self.register_buffer("resample_filter", setup_filter(resample_filter, separable=False))
        self.num_conv = 0
        self.num_torgb = 0
        if in_channels != 0:
            self.conv0 = SynthesisLayer(in_channels, out_channels, w_dim, resolution, up=2, resample_filter=resample_filter, conv_clamp=conv_clamp, shape=self.shape)
            self.num_conv += 1
        self.conv1 = SynthesisLayer(out_channels, out_channels, w_dim, resolution, resample_filter=resample_filter, conv_clamp=conv_clamp, shape=self.shape)
        self.num_conv += 1
        if is_last or architecture == "skip":
            self.torgb = ToRGBLayer(out_channels, img_channels, w_dim, conv_clamp=conv_clamp)
            self.num_torgb += 1
        if in_channels != 0 and architecture == "resnet":
            self.skip = Conv2dLayer(in_channels, out_channels, kernel_size=1, bias=False, up=2, resample_filter=resample_filter)

    def forward(
        self,
        x: torch.Tensor | None,
        img: torch.Tensor | None,
        ws: torch.Tensor,
        noise_mode: str = "random",
        fused_modconv: bool = False,
        force_fp32: bool = False,
        channels_last: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``ws: [N, num_conv + num_torgb, w_dim]``; returns ``(x, img)`` at this block's resolution."""
        w_iter = iter(ws.unbind(dim=1))
        dtype = torch.float16 if self.use_fp16 and not force_fp32 and ws.device.type == "cuda" else torch.float32
        memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if self.input_kind == "fourier":  # driven by the first w, which also styles conv1
            x = self.input(ws[:, 0])
        elif self.in_channels == 0:
            x = self.const.to(dtype).unsqueeze(0).repeat([ws.shape[0], 1, 1, 1])
        x = x.to(dtype=dtype, memory_format=memory_format)

        if self.in_channels == 0:
            x = self.conv1(x, next(w_iter), noise_mode=noise_mode, fused_modconv=fused_modconv)
        elif self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x, next(w_iter), noise_mode=noise_mode, fused_modconv=fused_modconv)
            x = self.conv1(x, next(w_iter), noise_mode=noise_mode, fused_modconv=fused_modconv, gain=math.sqrt(0.5))
            x = y.add_(x)
        else:
            x = self.conv0(x, next(w_iter), noise_mode=noise_mode, fused_modconv=fused_modconv)
            x = self.conv1(x, next(w_iter), noise_mode=noise_mode, fused_modconv=fused_modconv)

        if img is not None:
            img = upsample2d(img, self.resample_filter)
        if self.is_last or self.architecture == "skip":
            y = self.torgb(x, next(w_iter), fused_modconv=fused_modconv).to(torch.float32)
            img = img.add_(y) if img is not None else y
        return x, img

    def extra_repr(self) -> str:
        return f"resolution={self.resolution}, architecture={self.architecture}"


class SynthesisNetwork(torch.nn.Module):
    """Map ``ws: [N, num_ws, w_dim]`` to images ``[N, img_channels, R, R]``.

    Args:
        w_dim: Intermediate latent width.
        img_resolution: Output resolution (power of two >= 4).
        img_channels: Output channels (1-4).
        channel_base: Channels at resolution R are ``min(channel_base // R, channel_max)``.
        channel_max: Cap on the channel count.
        architecture: ``orig``, ``skip`` or ``resnet``.
        conv_clamp: Clamp conv outputs (``None`` disables; official fp16 training uses 256).
        num_fp16_res: Run the highest this many resolutions in fp16 (CUDA only; always fp32 on CPU).
        resample_filter: FIR taps for up-sampling.
        init_res: ``(height, width)`` of the first block's maps: ``(4, 4)`` for square images, ``(2, 4)`` for images
            twice as wide as high (the output is ``img_resolution * init_res / 4``).
        input: ``const`` (the learned 4x4 constant, ``b4.const``) or ``fourier`` (StyleGAN3's Fourier features,
            ``b4.input``, movable with the user transform).
    """

    def __init__(
        self,
        w_dim: int,
        img_resolution: int,
        img_channels: int,
        channel_base: int = 32768,
        channel_max: int = 512,
        architecture: str = "skip",
        conv_clamp: float | None = None,
        num_fp16_res: int = 0,
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        init_res: tuple[int, int] = (4, 4),
        input: str = "const",
    ):
        super().__init__()
        check_resolution("img_resolution", img_resolution)
        check_choice("input", input, INPUTS)
        self.input_kind = input
        self.init_res = check_init_res("init_res", init_res)
        check_channels("img_channels", img_channels)
        check_choice("architecture", architecture, ARCHITECTURES)
        check_non_negative("num_fp16_res", num_fp16_res)
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(math.log2(img_resolution))
        self.img_channels = img_channels
        self.architecture = architecture
        self.block_resolutions = [2**i for i in range(2, self.img_resolution_log2 + 1)]
        channels = {res: max(1, min(channel_base // res, channel_max)) for res in self.block_resolutions}
        fp16_resolution = max(2 ** (self.img_resolution_log2 + 1 - num_fp16_res), 8)

        self.num_ws = 0
        for res in self.block_resolutions:
            block = SynthesisBlock(
                channels[res // 2] if res > 4 else 0, channels[res], w_dim, res, img_channels,
                is_last=res == img_resolution, architecture=architecture, resample_filter=resample_filter,
                conv_clamp=conv_clamp, use_fp16=res >= fp16_resolution, shape=block_shape(res, self.init_res),
                input=input,
            )
            self.num_ws += block.num_conv
            if res == img_resolution:
                self.num_ws += block.num_torgb
            setattr(self, f"b{res}", block)

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "random",
        fused_modconv: bool | None = None,
        force_fp32: bool = False,
        channels_last: bool | None = None,
    ) -> torch.Tensor:
        """Synthesize images.

        Args:
            ws: ``[N, num_ws, w_dim]``; different rows per layer give style mixing.
            noise_mode: ``random`` (fresh noise), ``const`` (the stored ``noise_const``) or ``none``.
            fused_modconv: Modconv implementation; ``None`` picks the faster one for the device.
            force_fp32: Ignore ``num_fp16_res`` (CPU is always fp32).
            channels_last: Activation memory format; ``None`` = channels-last on CPU.

        Returns:
            Images ``[N, img_channels, H, W]`` (``img_resolution`` square, or as ``init_res`` shapes it), roughly in
            [-1, 1].
        """
        assert_shape(ws, [None, self.num_ws, self.w_dim], "ws")
        check_choice("noise_mode", noise_mode, NOISE_MODES)
        if fused_modconv is None:
            fused_modconv = default_fused_modconv(ws.device, self.training and torch.is_grad_enabled())
        if channels_last is None:
            channels_last = ws.device.type == "cpu"
        ws = ws.to(torch.float32)
        x = img = None
        w_idx = 0
        for res in self.block_resolutions:
            block = getattr(self, f"b{res}")
            block_ws = ws.narrow(1, w_idx, block.num_conv + block.num_torgb)
            w_idx += block.num_conv
            x, img = block(x, img, block_ws, noise_mode=noise_mode, fused_modconv=fused_modconv,
                           force_fp32=force_fp32, channels_last=channels_last)
        return img.contiguous()

    def extra_repr(self) -> str:
        return (f"w_dim={self.w_dim}, num_ws={self.num_ws}, img_resolution={self.img_resolution}, "
                f"img_channels={self.img_channels}, input={self.input_kind}")
