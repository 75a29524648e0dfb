"""StyleGAN1 synthesis network (Karras et al. 2019, section 2 and figure 1b), with optional progressive growing.

A learned constant ``[C, 4, 4]`` starts block ``b4``; every layer is (3x3 conv, except the first layer on the
constant) -> per-pixel noise scaled by a learned per-channel strength -> bias -> leaky ReLU 0.2 -> AdaIN. Each block
``b{R}`` after ``b4`` first upsamples 2x and blurs with the [1, 2, 1] filter, then runs two layers. One 1x1 ToRGB
maps the last block's features to the image. Two styles per block: ``num_ws = 2 * number of blocks``. Every weight is
equalized-lr (scaled at runtime by He's constant). Growing (``growing=True``): every block has a ToRGB and the network
follows ``growth_level`` as the ProGAN generator does (models/growing.py); styles of blocks not yet shown are unused.

AdaIN (adaptive instance normalisation): ``AdaIN(x_i, y) = y_s,i * (x_i - mean(x_i)) / std(x_i) + y_b,i``, each
feature map ``x_i`` normalised over its pixels per sample, ``(y_s, y_b)`` a learned affine map of w (``y_s`` starts at
1, ``y_b`` at 0).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ganforge.models.checks import check_channels, check_choice, check_resolution
from ganforge.models.growing import Growable, fade, upsample
from ganforge.nn.bias_act import bias_act
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.fir import setup_filter
from ganforge.nn.shape import assert_shape
from ganforge.nn.upfirdn2d import upsample2d

NOISE_MODES = ("random", "const", "none")


def adain(x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """``x: [N, C, H, W]`` with each map instance-normalised (zero mean, unit std over its pixels), then
    ``scale * x + bias`` with ``scale, bias: [N, C]``: the output map i of sample n has mean ``bias[n, i]`` and
    standard deviation ``|scale[n, i]|`` (population std), whatever ``x`` is."""
    x = x - x.mean(dim=(2, 3), keepdim=True)
    # clamp_min(eps) changes nothing here (var + eps >= eps), but survives ONNX export: the exporter's optimiser
    # drops a "+ 1e-8" as a no-op, which turns a constant map (the first layer on the learned constant) into NaN
    x = x * (x.square().mean(dim=(2, 3), keepdim=True) + eps).clamp_min(eps).rsqrt()
    return x * scale[:, :, None, None].to(x.dtype) + bias[:, :, None, None].to(x.dtype)


class AdaIN(torch.nn.Module):
    """:func:`adain` as a module (no parameters), so tools can hook the layer's input to the normalisation (the
    droplet measure reads the activations AdaIN normalises, explore/droplets.py)."""

    def forward(self, x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        return adain(x, scale, bias)


class StyleLayer(torch.nn.Module):
    """(Optional 3x3 conv, optionally after a 2x up + blur) -> noise -> bias -> lrelu 0.2 -> AdaIN(w)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, conv: bool = True,
                 up: bool = False, blur_filter: Sequence[float] = (1, 2, 1)):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resolution = resolution
        self.up = up
        if up:
            self.register_buffer("blur_filter", setup_filter(blur_filter, separable=False))
        self.conv = Conv2dLayer(in_channels, out_channels, 3, bias=False) if conv else None
        self.register_buffer("noise_const", torch.randn([resolution, resolution]))
        self.noise_strength = torch.nn.Parameter(torch.zeros([out_channels]))
        self.bias = torch.nn.Parameter(torch.zeros([out_channels]))
        self.style_scale = FullyConnectedLayer(w_dim, out_channels, bias_init=1)
        self.style_bias = FullyConnectedLayer(w_dim, out_channels, bias_init=0)
        self.adain = AdaIN()

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random") -> torch.Tensor:
        """``x: [N, in_channels, R or R/2, ...]``, ``w: [N, w_dim]`` -> ``[N, out_channels, R, R]`` (after AdaIN)."""
        if self.up:
            x = upsample2d(x, self.blur_filter, up=2)
        if self.conv is not None:
            x = self.conv(x)
        assert_shape(x, [None, self.out_channels, self.resolution, self.resolution], "x")
        strength = self.noise_strength.to(x.dtype)[None, :, None, None]
        if noise_mode == "random":
            x = x + torch.randn([x.shape[0], 1, self.resolution, self.resolution], device=x.device, dtype=x.dtype) * strength
        elif noise_mode == "const":
            x = x + self.noise_const.to(x.dtype)[None, None] * strength
        x = bias_act(x, self.bias.to(x.dtype), act="lrelu")
        return self.adain(x, self.style_scale(w), self.style_bias(w))

    def extra_repr(self) -> str:
        return (f"in_channels={self.in_channels}, out_channels={self.out_channels}, resolution={self.resolution}, "
                f"up={self.up}")


class SynthesisBlock(torch.nn.Module):
    """Block ``b{R}``: ``b4`` = constant -> conv0 (no conv: noise/bias/lrelu/AdaIN) -> conv1; the others = 2x up +
    blur -> conv0 -> conv1. ``forward`` returns ``(x, img)``: the block's features and, for the last block, the
    image (``None`` before)."""

    num_conv = 2
    num_torgb = 0

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int, img_channels: int,
                 is_last: bool, blur_filter: Sequence[float] = (1, 2, 1), torgb: bool = False):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.resolution = resolution
        self.is_last = is_last
        if resolution == 4:
            self.const = torch.nn.Parameter(torch.ones([out_channels, 4, 4]))
            self.conv0 = StyleLayer(out_channels, out_channels, w_dim, 4, conv=False)
        else:
            self.conv0 = StyleLayer(in_channels, out_channels, w_dim, resolution, up=True, blur_filter=blur_filter)
        self.conv1 = StyleLayer(out_channels, out_channels, w_dim, resolution)
        if is_last or torgb:
            self.torgb = Conv2dLayer(out_channels, img_channels, 1)

    def forward(self, x: torch.Tensor | None, ws: torch.Tensor, noise_mode: str = "random"
                ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``ws: [N, 2, w_dim]``; ``x`` is ``None`` for ``b4``."""
        if self.resolution == 4:
            x = self.const.to(ws.dtype).unsqueeze(0).expand(ws.shape[0], -1, -1, -1)
        x = self.conv0(x, ws[:, 0], noise_mode=noise_mode)
        x = self.conv1(x, ws[:, 1], noise_mode=noise_mode)
        img = self.torgb(x) if self.is_last else None
        return x, img

    def extra_repr(self) -> str:
        return f"resolution={self.resolution}, out_channels={self.out_channels}, is_last={self.is_last}"


class SynthesisNetwork(torch.nn.Module, Growable):
    """``ws: [N, num_ws, w_dim] -> img: [N, img_channels, R, R]`` with blocks ``b4`` .. ``b{R}``.

    Args:
        w_dim: Width of w.
        img_resolution: Output resolution (power of two >= 8).
        img_channels: Output channels.
        channel_base: Channels at resolution R are ``min(channel_base // R, channel_max)``.
        channel_max: Cap on the channel count.
        blur_filter: Taps of the blur after each 2x upsampling.
        growing: A ToRGB in every block, and the output follows ``growth_level``.
    """

    def __init__(self, w_dim: int, img_resolution: int, img_channels: int, channel_base: int = 16384,
                 channel_max: int = 512, blur_filter: Sequence[float] = (1, 2, 1), growing: bool = False):
        super().__init__()
        check_resolution("img_resolution", img_resolution, minimum=8)
        check_channels("img_channels", img_channels)
        self.w_dim = w_dim
        self.img_resolution = img_resolution
        self.img_channels = img_channels
        self.block_resolutions = [2**i for i in range(2, int(math.log2(img_resolution)) + 1)]
        channels = {res: max(1, min(channel_base // res, channel_max)) for res in self.block_resolutions}
        for res in self.block_resolutions:
            block = SynthesisBlock(channels[res // 2] if res > 4 else 0, channels[res], w_dim, res, img_channels,
                                   is_last=res == img_resolution, blur_filter=blur_filter, torgb=growing)
            setattr(self, f"b{res}", block)
        self.num_ws = 2 * len(self.block_resolutions)
        self.growing = growing
        if growing:
            self.init_growth(self.block_resolutions)

    def forward(self, ws: torch.Tensor, noise_mode: str = "random", **_ignored) -> torch.Tensor:
        """Synthesize images from ``ws: [N, num_ws, w_dim]`` (different rows per layer give style mixing);
        ``noise_mode``: ``random`` (fresh noise), ``const`` (the stored ``noise_const``) or ``none``. StyleGAN2's
        implementation switches (``fused_modconv``, ``force_fp32``, ``channels_last``) are accepted and ignored."""
        assert_shape(ws, [None, self.num_ws, self.w_dim], "ws")
        check_choice("noise_mode", noise_mode, NOISE_MODES)
        ws = ws.to(torch.float32)
        x = img = None
        if not self.growing:
            for i, res in enumerate(self.block_resolutions):
                x, img = getattr(self, f"b{res}")(x, ws[:, 2 * i:2 * i + 2], noise_mode=noise_mode)
            return img.contiguous()
        stage = self.stage
        prev = None
        for i, res in enumerate(self.block_resolutions[:stage.index + 1]):
            prev, (x, _) = x, getattr(self, f"b{res}")(x, ws[:, 2 * i:2 * i + 2], noise_mode=noise_mode)
        img = getattr(self, f"b{stage.resolution}").torgb(x)  # [N, img_channels, res, res]
        if stage.fading:
            img = fade(upsample(getattr(self, f"b{stage.resolution // 2}").torgb(prev), 2), img, stage.alpha)
        return upsample(img, self.img_resolution // stage.resolution).contiguous()

    def extra_repr(self) -> str:
        return (f"w_dim={self.w_dim}, num_ws={self.num_ws}, img_resolution={self.img_resolution}, "
                f"img_channels={self.img_channels}")
