"""Colour augmentations of ADA (Karras et al. 2020, app. B.3): one 4x4 affine colour matrix per sample.

Images live in [-1, 1] with 0 as mid-grey, so brightness is an offset, contrast a scale about 0, and the luma axis
is ``v = (1, 1, 1) / sqrt(3)``. Brightness, contrast, luma flip, hue rotation (about v) and saturation (scaling
orthogonal to v) are composed, in that order, into ``C [N, 4, 4]`` acting on homogeneous RGB, and applied in one
batched matmul. Hue rotation and saturation leave each pixel's channel mean (its luma) unchanged; luma flip negates
it. Single-channel images use the luma part of the matrix only; an alpha channel passes through.
"""

from __future__ import annotations

import math

import torch


def _eye4(n: int, device: torch.device) -> torch.Tensor:
    return torch.eye(4, device=device).expand(n, 4, 4).clone()  # [N, 4, 4]


def translate3d(t: torch.Tensor) -> torch.Tensor:
    """``[N, 4, 4]`` adding ``t [N]`` to every channel."""
    m = _eye4(t.shape[0], t.device)
    m[:, :3, 3] = t[:, None]
    return m


def scale3d(s: torch.Tensor) -> torch.Tensor:
    """``[N, 4, 4]`` scaling every channel by ``s [N]``."""
    m = _eye4(s.shape[0], s.device)
    m[:, 0, 0] = m[:, 1, 1] = m[:, 2, 2] = s
    return m


def rotate3d(v: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """``[N, 4, 4]`` rotation by ``theta [N]`` about the unit axis ``v [3]`` (Rodrigues' formula)."""
    n = theta.shape[0]
    K = torch.zeros([3, 3], device=v.device)  # cross-product matrix of v
    K[0, 1], K[0, 2], K[1, 0], K[1, 2], K[2, 0], K[2, 1] = -v[2], v[1], v[2], -v[0], -v[1], v[0]
    s, c = torch.sin(theta)[:, None, None], torch.cos(theta)[:, None, None]
    m = _eye4(n, v.device)
    m[:, :3, :3] = torch.eye(3, device=v.device) + s * K + (1 - c) * (K @ K)
    return m


def sample_color(
    n: int, device: torch.device, *, p: float, brightness: float = 0.0, contrast: float = 0.0,
    lumaflip: float = 0.0, hue: float = 0.0, saturation: float = 0.0, brightness_std: float = 0.2,
    contrast_std: float = 0.5, hue_max: float = 1.0, saturation_std: float = 1.0,
) -> torch.Tensor:
    """Random per-sample colour matrices ``C [N, 4, 4]`` (each op with probability ``multiplier * p``)."""
    C = _eye4(n, device)
    v = torch.full([3], 1 / math.sqrt(3), device=device)  # luma axis
    vv = torch.zeros([4, 4], device=device)
    vv[:3, :3] = torch.outer(v, v)  # projection onto the luma axis

    def on(mult: float) -> torch.Tensor:
        return (torch.rand([n], device=device) < mult * p).float()

    if brightness > 0:
        C = translate3d(torch.randn([n], device=device) * brightness_std * on(brightness)) @ C
    if contrast > 0:
        C = scale3d(torch.exp2(torch.randn([n], device=device) * contrast_std * on(contrast))) @ C
    if lumaflip > 0:  # Householder reflection of the luma component
        i = torch.randint(2, [n], device=device).float() * on(lumaflip)
        C = (_eye4(n, device) - 2 * vv[None] * i[:, None, None]) @ C
    if hue > 0:
        theta = (torch.rand([n], device=device) * 2 - 1) * math.pi * hue_max * on(hue)
        C = rotate3d(v, theta) @ C
    if saturation > 0:
        chosen = on(saturation)
        s = torch.exp2(torch.randn([n], device=device) * saturation_std * chosen)
        m = _eye4(n, device)
        sat = vv[:3, :3] + (torch.eye(3, device=device) - vv[:3, :3]) * s[:, None, None]
        m[:, :3, :3] = torch.where(chosen[:, None, None] > 0, sat, m[:, :3, :3])  # exact identity when not chosen
        C = m @ C
    return C


def apply_color(images: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """``images [N, C, H, W]`` transformed by ``C [N, 4, 4]``: RGB for 3-4 channels (alpha passes through), the luma
    part for 1-2 channels (a grey value g is treated as ``(g, g, g)`` and the channel mean of the result is kept)."""
    N, channels, H, W = images.shape
    k = 3 if channels >= 3 else 1
    flat = images[:, :k].reshape(N, k, H * W)
    if k == 3:
        out = C[:, :3, :3] @ flat + C[:, :3, 3:]  # [N, 3, H*W]
    else:  # the luma part: v^T C v on the grey value, plus the mean offset
        v = torch.full([3], 1 / math.sqrt(3), device=images.device, dtype=C.dtype)
        gain = (v @ C[:, :3, :3] @ v)[:, None, None]  # [N, 1, 1]: channel mean of C applied to (g, g, g)
        offset = C[:, :3, 3].mean(dim=1)[:, None, None]
        out = flat * gain + offset
    out = out.reshape(N, k, H, W)
    return out if channels == k else torch.cat([out, images[:, k:]], dim=1)
