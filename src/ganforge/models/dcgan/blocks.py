"""The three block types of the DCGAN family, each as an up-block (G) and a down-block (D).

* plain (Radford et al. 2015): ``ConvT 4x4/2 -> BN -> ReLU`` up, ``Conv 4x4/2 -> norm -> LeakyReLU(0.2)`` down.
* resnet (He et al. 2016, as in SNGAN/BigGAN): the plain layer followed by a 3x3 conv, plus a 1x1 shortcut after
  nearest upsampling / average pooling; the activation after the sum.
* csp (Wang et al. 2020, "CSPNet"): the input channels are split in two; one part goes through the residual block
  stack at half width, the other only through a cheap shortcut (resample + 1x1 conv); the two are concatenated and
  mixed by a 1x1 transition conv. About a third of a residual block's parameters and FLOPs.

All blocks map ``[N, cin, H, W]`` to ``[N, cout, 2H, 2W]`` (up) or ``[N, cout, H/2, W/2]`` (down); the stack of
``depth`` blocks per stage adds ``depth - 1`` same-resolution residual blocks after the first.
"""

from __future__ import annotations

import torch
from torch import nn


def _norm(kind: str, channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels) if kind == "batch" else nn.Identity()


def _act(up: bool) -> nn.Module:
    return nn.ReLU() if up else nn.LeakyReLU(0.2)


def _resample(up: bool) -> nn.Module:
    return nn.Upsample(scale_factor=2, mode="nearest") if up else nn.AvgPool2d(2)


def _strided(cin: int, cout: int, up: bool) -> nn.Module:
    """The 4x4 stride-2 (transposed) conv of DCGAN."""
    cls = nn.ConvTranspose2d if up else nn.Conv2d
    return cls(cin, cout, 4, 2, 1, bias=False)


class PlainBlock(nn.Sequential):
    """DCGAN layer: ``[N, cin, H, W] -> [N, cout, 2H | H/2, ...]``."""

    def __init__(self, cin: int, cout: int, up: bool, norm: str = "batch") -> None:
        super().__init__(_strided(cin, cout, up), _norm(norm if not up else "batch", cout), _act(up))


class ResBlock(nn.Module):
    """Residual block; ``resample=False`` keeps the resolution (3x3 convs and an identity shortcut)."""

    def __init__(self, cin: int, cout: int, up: bool, norm: str = "batch", resample: bool = True) -> None:
        super().__init__()
        norm = "batch" if up else norm
        first = _strided(cin, cout, up) if resample else nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.main = nn.Sequential(first, _norm(norm, cout), _act(up), nn.Conv2d(cout, cout, 3, 1, 1, bias=False),
                                  _norm(norm, cout))
        shortcut = [] if cin == cout else [nn.Conv2d(cin, cout, 1, bias=False)]
        self.shortcut = nn.Sequential(*([_resample(up)] if resample else []), *shortcut)
        self.act = _act(up)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.main(x) + self.shortcut(x))


class CSPBlock(nn.Module):
    """Cross-stage partial stage: ``x = [x1 | x2]`` (channel halves) ->
    ``transition(cat(stack(x1), shortcut(x2)))`` with ``stack`` = ``depth`` residual blocks at half width."""

    def __init__(self, cin: int, cout: int, up: bool, norm: str = "batch", depth: int = 1) -> None:
        super().__init__()
        if cin < 2 or cout < 2:
            raise ValueError(f"CSP blocks split channels in two: need cin, cout >= 2, got {cin}, {cout}")
        self.split = cin // 2
        half_out = cout // 2
        layers = [ResBlock(self.split, half_out, up, norm)]
        layers += [ResBlock(half_out, half_out, up, norm, resample=False) for _ in range(depth - 1)]
        self.stack = nn.Sequential(*layers)
        self.cross = nn.Sequential(_resample(up), nn.Conv2d(cin - self.split, cout - half_out, 1, bias=False))
        self.transition = nn.Sequential(nn.Conv2d(cout, cout, 1, bias=False), _norm("batch" if up else norm, cout),
                                        _act(up))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = x[:, :self.split], x[:, self.split:]  # [N, cin/2, H, W] each
        return self.transition(torch.cat([self.stack(x1), self.cross(x2)], dim=1))


def make_stage(block: str, cin: int, cout: int, up: bool, norm: str = "batch", depth: int = 1) -> nn.Module:
    """One resolution stage of ``depth`` blocks of type ``block`` (plain | resnet | csp)."""
    if block == "csp":
        return CSPBlock(cin, cout, up, norm, depth)
    if block == "resnet":
        extra = [ResBlock(cout, cout, up, norm, resample=False) for _ in range(depth - 1)]
        return nn.Sequential(ResBlock(cin, cout, up, norm), *extra)
    if block == "plain":
        extra = [nn.Sequential(nn.Conv2d(cout, cout, 3, 1, 1, bias=False), _norm(norm if not up else "batch", cout),
                               _act(up)) for _ in range(depth - 1)]
        return nn.Sequential(PlainBlock(cin, cout, up, norm), *extra)
    raise ValueError(f"block must be one of plain, resnet, csp; got {block!r}")
