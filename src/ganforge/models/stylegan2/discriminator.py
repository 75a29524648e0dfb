"""StyleGAN2 discriminator: resnet (config F default), skip or orig, with mbstd and projection conditioning."""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ganforge.models.checks import (block_shape, check_channels, check_choice, check_init_res, check_non_negative,
                                   check_resolution)
from ganforge.models.network import DiscriminatorNetwork
from ganforge.models.stylegan2.mapping import MappingNetwork
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.fir import setup_filter
from ganforge.nn.minibatch_std import MinibatchStdLayer
from ganforge.nn.shape import assert_shape
from ganforge.nn.upfirdn2d import downsample2d

ARCHITECTURES = ("orig", "skip", "resnet")


class DiscriminatorBlock(torch.nn.Module):
    """One resolution of D: (FromRGB) + conv + down-conv (+ residual skip)."""

    def __init__(
        self,
        in_channels: int,
        tmp_channels: int,
        out_channels: int,
        resolution: int,
        img_channels: int,
        architecture: str = "resnet",
        activation: str = "lrelu",
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        conv_clamp: float | None = None,
        shape: tuple[int, int] | None = None,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.resolution = resolution
        self.shape = tuple(shape) if shape is not None else (resolution, resolution)  # input (height, width)
        self.img_channels = img_channels
        self.architecture = architecture
        self.register_buffer("resample_filter", setup_filter(resample_filter, separable=False))
        if in_channels == 0 or architecture == "skip":
            self.fromrgb = Conv2dLayer(img_channels, tmp_channels, kernel_size=1, activation=activation, conv_clamp=conv_clamp)
        self.conv0 = Conv2dLayer(tmp_channels, tmp_channels, kernel_size=3, activation=activation, conv_clamp=conv_clamp)
        self.conv1 = Conv2dLayer(tmp_channels, out_channels, kernel_size=3, activation=activation, down=2,
                                 resample_filter=resample_filter, conv_clamp=conv_clamp)
        if architecture == "resnet":
            self.skip = Conv2dLayer(tmp_channels, out_channels, kernel_size=1, bias=False, down=2, resample_filter=resample_filter)

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Returns ``(x, img)`` at half this block's resolution (``img`` only for ``skip``)."""
        if self.in_channels == 0 or self.architecture == "skip":
            assert_shape(img, [None, self.img_channels, *self.shape], "img")
            y = self.fromrgb(img)
            x = x + y if x is not None else y
            img = downsample2d(img, self.resample_filter) if self.architecture == "skip" else None
        if self.architecture == "resnet":
            y = self.skip(x, gain=math.sqrt(0.5))
            x = self.conv0(x)
            x = self.conv1(x, gain=math.sqrt(0.5))
            x = y.add_(x)
        else:
            x = self.conv1(self.conv0(x))
        return x, img


class DiscriminatorEpilogue(torch.nn.Module):
    """The 4x4 head (``init_res`` for non-square images): (FromRGB) + minibatch stddev + conv + fc + output (projected
    onto the label map)."""

    def __init__(
        self,
        in_channels: int,
        cmap_dim: int,
        resolution: int,
        img_channels: int,
        architecture: str = "resnet",
        mbstd_group_size: int | None = 4,
        mbstd_num_channels: int = 1,
        activation: str = "lrelu",
        conv_clamp: float | None = None,
        shape: tuple[int, int] | None = None,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.cmap_dim = cmap_dim
        self.resolution = resolution
        self.shape = tuple(shape) if shape is not None else (resolution, resolution)
        self.img_channels = img_channels
        self.architecture = architecture
        if architecture == "skip":
            self.fromrgb = Conv2dLayer(img_channels, in_channels, kernel_size=1, activation=activation)
        self.mbstd = MinibatchStdLayer(group_size=mbstd_group_size, num_channels=mbstd_num_channels) if mbstd_num_channels > 0 else None
        self.conv = Conv2dLayer(in_channels + mbstd_num_channels, in_channels, kernel_size=3, activation=activation, conv_clamp=conv_clamp)
        self.fc = FullyConnectedLayer(in_channels * self.shape[0] * self.shape[1], in_channels, activation=activation)
        self.out = FullyConnectedLayer(in_channels, 1 if cmap_dim == 0 else cmap_dim)

    def forward(self, x: torch.Tensor, img: torch.Tensor | None, cmap: torch.Tensor | None) -> torch.Tensor:
        """``x: [N, in_channels, *shape]`` -> logits ``[N, 1]``."""
        assert_shape(x, [None, self.in_channels, *self.shape], "x")
        if self.architecture == "skip":
            x = x + self.fromrgb(img)
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        x = self.fc(x.flatten(1))
        x = self.out(x)
        if self.cmap_dim > 0:
            # Projection discriminator (Miyato & Koyama 2018): inner product with the label embedding.
            x = (x * cmap).sum(dim=1, keepdim=True) * (1 / math.sqrt(self.cmap_dim))
        return x


class Discriminator(DiscriminatorNetwork):
    """``D(img, c) -> logits [N, 1]``.

    Args:
        c_dim: Label width (0 = unconditional).
        img_resolution: Input resolution (power of two >= 4).
        img_channels: Input channels (1-4).
        architecture: ``orig``, ``skip`` or ``resnet`` (default).
        channel_base: Channels at resolution R are ``min(channel_base // R, channel_max)``.
        channel_max: Cap on the channel count.
        conv_clamp: Clamp conv outputs (``None`` disables).
        cmap_dim: Label-embedding width for projection (default: channels at 4x4).
        mbstd_group_size: Minibatch-stddev group size (``None`` = whole batch).
        mbstd_num_channels: Minibatch-stddev features (0 disables).
        mapping_layers: Depth of the label-embedding MLP (conditional D only).
        resample_filter: FIR taps for down-sampling.
        init_res: ``(height, width)`` of the last block's maps: ``(4, 4)`` for square images, ``(2, 4)`` for images
            twice as wide as high (the input is ``img_resolution * init_res / 4``).
    """

    def __init__(
        self,
        c_dim: int = 0,
        img_resolution: int = 1024,
        img_channels: int = 3,
        architecture: str = "resnet",
        channel_base: int = 32768,
        channel_max: int = 512,
        conv_clamp: float | None = None,
        cmap_dim: int | None = None,
        mbstd_group_size: int | None = 4,
        mbstd_num_channels: int = 1,
        mapping_layers: int = 8,
        resample_filter: Sequence[float] = (1, 3, 3, 1),
        init_res: tuple[int, int] = (4, 4),
    ):
        super().__init__()
        check_non_negative("c_dim", c_dim)
        self.init_res = check_init_res("init_res", init_res)
        check_resolution("img_resolution", img_resolution)
        check_channels("img_channels", img_channels)
        check_choice("architecture", architecture, ARCHITECTURES)
        check_non_negative("mbstd_num_channels", mbstd_num_channels)
        self.c_dim = c_dim
        self.img_resolution = img_resolution
        self.img_resolution_log2 = int(math.log2(img_resolution))
        self.img_channels = img_channels
        self.architecture = architecture
        self.block_resolutions = [2**i for i in range(self.img_resolution_log2, 2, -1)]
        channels = {res: max(1, min(channel_base // res, channel_max)) for res in self.block_resolutions + [4]}
        if cmap_dim is None:
            cmap_dim = channels[4]
        if c_dim == 0:
            cmap_dim = 0

        for res in self.block_resolutions:
            in_channels = channels[res] if res < img_resolution else 0
            block = DiscriminatorBlock(in_channels, channels[res], channels[res // 2], res, img_channels,
                                       architecture=architecture, resample_filter=resample_filter, conv_clamp=conv_clamp,
                                       shape=block_shape(res, self.init_res))
            setattr(self, f"b{res}", block)
        if c_dim > 0:
            self.mapping = MappingNetwork(z_dim=0, c_dim=c_dim, w_dim=cmap_dim, num_ws=None, num_layers=mapping_layers, w_avg_beta=None)
        self.b4 = DiscriminatorEpilogue(channels[4], cmap_dim=cmap_dim, resolution=4, img_channels=img_channels,
                                        architecture=architecture, mbstd_group_size=mbstd_group_size,
                                        mbstd_num_channels=mbstd_num_channels, conv_clamp=conv_clamp, shape=self.init_res)

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None, channels_last: bool | None = None) -> torch.Tensor:
        """``img: [N, img_channels, H, W]``, ``c: [N, c_dim]`` -> logits ``[N, 1]``.

        ``channels_last``: activation memory format; ``None`` = channels-last on CPU, where oneDNN's convolutions
        (forward and backward) run about 10-20% faster in that layout. The result does not depend on it.
        """
        assert_shape(img, [None, self.img_channels, *block_shape(self.img_resolution, self.init_res)], "img")
        if channels_last is None:
            channels_last = img.device.type == "cpu"
        if channels_last:
            img = img.contiguous(memory_format=torch.channels_last)
        if self.c_dim > 0 and c is None:
            raise ValueError(f"c must be given: this discriminator is conditional (c_dim={self.c_dim})")
        if self.c_dim == 0 and c is not None and c.numel() > 0:
            raise ValueError(f"c must be None or empty for an unconditional discriminator, got shape {list(c.shape)}")
        x = None
        for res in self.block_resolutions:
            x, img = getattr(self, f"b{res}")(x, img)
        cmap = None
        if self.c_dim > 0:
            assert_shape(c, [img.shape[0] if img is not None else x.shape[0], self.c_dim], "c")
            cmap = self.mapping(None, c)
        return self.b4(x, img, cmap)

    def feature_maps(self, img: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each downsampling block ``[N, C_b, R_b, R_b]``, finest first (not the epilogue, whose
        minibatch std mixes samples)."""
        feats, x = [], None
        for res in self.block_resolutions:
            x, img = getattr(self, f"b{res}")(x, img)
            feats.append(x)
        return feats

    def forward_many(self, imgs: Sequence[torch.Tensor], cs: Sequence[torch.Tensor | None] | None = None) -> list[torch.Tensor]:
        """``[D(img, c) for img, c in zip(imgs, cs)]`` computed in one batched pass.

        One pass over ``k`` same-size batches runs the convolutions at ``k`` times the batch size (about 30% faster
        on CPU for Dmain's fakes + reals). The batches are interleaved so that every minibatch-stddev group
        (strided: ``{m, m + N/G, ...}``) holds members of one batch only: the result equals separate calls.
        Falls back to separate calls when the batches differ in size or the mbstd group is the whole batch.
        """
        cs = list(cs) if cs is not None else [None] * len(imgs)
        n = imgs[0].shape[0]
        mbstd = self.b4.mbstd
        group = None if mbstd is None else (n if mbstd.group_size is None else min(mbstd.group_size, n))
        mergeable = (len(imgs) > 1 and all(img.shape[0] == n for img in imgs) and n > 0
                     and (mbstd is None or (mbstd.group_size is not None and mbstd.group_size <= n and n % group == 0))
                     and all((c is None) == (cs[0] is None) for c in cs))
        if not mergeable:
            return [self(img, c) for img, c in zip(imgs, cs)]
        G = group or 1
        M, k = n // G, len(imgs)

        def interleave(ts: Sequence[torch.Tensor]) -> torch.Tensor:  # [k x N, ...] -> [G, k, M, ...] order
            return torch.stack([t.reshape(G, M, *t.shape[1:]) for t in ts], dim=1).reshape(k * n, *ts[0].shape[1:])

        logits = self(interleave(imgs), interleave(cs) if cs[0] is not None else None)  # [k*N, 1]
        logits = logits.reshape(G, k, M, -1)
        return [logits[:, i].reshape(n, -1) for i in range(k)]

