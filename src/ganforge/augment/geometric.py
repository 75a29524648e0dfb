"""Geometric augmentations of ADA (Karras et al. 2020, "Training GANs with Limited Data", app. B.1-B.2).

Every geometric op of a sample is a 3x3 homogeneous matrix in *centred pixel coordinates* (origin at the image
centre, x to the right, y down, one unit = one input pixel). The ops of one sample are composed into a single
inverse matrix ``G_inv`` that maps an output pixel centre to the input position it reads, so the whole group runs as
one transform per batch:

* samples whose ``G_inv`` is a pure pixel permutation (x-flip, 90-degree rotation, integer translation: "pixel
  blitting") are executed exactly, by gathering pixels with reflect padding;
* the others (scaling, rotation, anisotropy, fractional translation) are resampled: reflect-pad, upsample 2x with a
  low-pass FIR, one bilinear ``grid_sample`` with the composed affine matrix (mirroring outside the image),
  downsample 2x with the same FIR (the paper's recipe, which keeps the resampling free of aliasing and of leaking
  borders). The FIR is our own 12-tap Kaiser-windowed sinc half-band filter.

All random draws come from torch's global generator, so a seeded loop reproduces them.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.nn.fir import setup_filter

# --------------------------------------------------------------------------------------------- matrices


def _eye(n: int, device: torch.device) -> torch.Tensor:
    return torch.eye(3, device=device).expand(n, 3, 3).clone()  # [N, 3, 3]


def translate2d(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    """``[N, 3, 3]`` translation by ``(tx, ty)`` pixels (``tx, ty: [N]``)."""
    m = _eye(tx.shape[0], tx.device)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def scale2d(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    """``[N, 3, 3]`` scaling by ``(sx, sy)`` about the image centre."""
    m = _eye(sx.shape[0], sx.device)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def rotate2d_cs(c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``[N, 3, 3]`` rotation with cosine ``c`` and sine ``s`` (exact integers for multiples of 90 degrees)."""
    m = _eye(c.shape[0], c.device)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    return m


def rotate2d(theta: torch.Tensor) -> torch.Tensor:
    """``[N, 3, 3]`` rotation by ``theta`` radians about the image centre."""
    return rotate2d_cs(torch.cos(theta), torch.sin(theta))


def _apply(prob: float, n: int, device: torch.device) -> torch.Tensor:
    """``[N]`` bool: which samples get an op applied with probability ``prob``."""
    return torch.rand([n], device=device) < prob


def sample_geometric(
    n: int, width: int, height: int, device: torch.device, *, p: float,
    xflip: float = 0.0, rotate90: float = 0.0, xint: float = 0.0, scale: float = 0.0, rotate: float = 0.0,
    aniso: float = 0.0, xfrac: float = 0.0, xint_max: float = 0.125, scale_std: float = 0.2, rotate_max: float = 1.0,
    aniso_std: float = 0.2, xfrac_std: float = 0.125,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random per-sample inverse geometric transforms.

    Each op is applied to a sample with probability ``multiplier * p`` (rotation is split into a pre- and a
    post-anisotropy rotation, each with ``1 - sqrt(1 - rotate * p)``, as in the paper).

    Returns:
        ``G_inv [N, 3, 3]`` (output pixel -> input position, centred pixel coordinates) and ``general [N]`` (bool):
        samples that need resampling (scale, rotation, anisotropy or fractional translation applied).
    """
    G_inv = _eye(n, device)
    general = torch.zeros([n], dtype=torch.bool, device=device)
    one = torch.ones([n], device=device)
    if xflip > 0:  # inverse of a flip is itself
        i = torch.randint(2, [n], device=device) * _apply(xflip * p, n, device)
        G_inv = G_inv @ scale2d(1 - 2 * i.float(), one)
    if rotate90 > 0:  # rotate by k * 90 degrees; inverse rotates by -k * 90, exact integer entries
        k = torch.randint(4, [n], device=device) * _apply(rotate90 * p, n, device)
        cos_table = torch.tensor([1.0, 0.0, -1.0, 0.0], device=device)
        sin_table = torch.tensor([0.0, 1.0, 0.0, -1.0], device=device)
        G_inv = G_inv @ rotate2d_cs(cos_table[k], -sin_table[k])
    if xint > 0:  # integer translation of up to xint_max of the image size
        t = (torch.rand([n, 2], device=device) * 2 - 1) * xint_max * _apply(xint * p, n, device)[:, None]
        G_inv = G_inv @ translate2d(-torch.round(t[:, 0] * width), -torch.round(t[:, 1] * height))
    if scale > 0:  # isotropic scaling, log2-normal
        on = _apply(scale * p, n, device)
        s = torch.exp2(torch.randn([n], device=device) * scale_std * on)
        G_inv, general = G_inv @ scale2d(1 / s, 1 / s), general | on
    p_rot = 1 - math.sqrt(max(1 - rotate * p, 0.0))
    if rotate > 0:  # pre-rotation, uniform angle
        on = _apply(p_rot, n, device)
        theta = (torch.rand([n], device=device) * 2 - 1) * math.pi * rotate_max * on
        G_inv, general = G_inv @ rotate2d(-theta), general | on
    if aniso > 0:  # anisotropic scaling (area preserving)
        on = _apply(aniso * p, n, device)
        s = torch.exp2(torch.randn([n], device=device) * aniso_std * on)
        G_inv, general = G_inv @ scale2d(1 / s, s), general | on
    if rotate > 0:  # post-rotation
        on = _apply(p_rot, n, device)
        theta = (torch.rand([n], device=device) * 2 - 1) * math.pi * rotate_max * on
        G_inv, general = G_inv @ rotate2d(-theta), general | on
    if xfrac > 0:  # fractional translation, normal with std xfrac_std of the image size
        on = _apply(xfrac * p, n, device)
        t = torch.randn([n, 2], device=device) * xfrac_std * on[:, None]
        G_inv, general = G_inv @ translate2d(-t[:, 0] * width, -t[:, 1] * height), general | on
    return G_inv, general


# --------------------------------------------------------------------------------------------- execution


def _reflect(idx: torch.Tensor, size: int) -> torch.Tensor:
    """Integer indices folded into ``[0, size)`` by mirroring at the borders without repeating the edge pixel
    (``F.pad(mode='reflect')`` semantics)."""
    if size == 1:
        return torch.zeros_like(idx)
    period = 2 * (size - 1)
    idx = torch.remainder(idx, period)
    return torch.where(idx >= size, period - idx, idx)


def blit(images: torch.Tensor, G_inv: torch.Tensor) -> torch.Tensor:
    """Exact pixel blitting: ``images [N, C, H, W]`` gathered through integer ``G_inv [N, 3, 3]`` (reflect border)."""
    N, C, H, W = images.shape
    ys = torch.arange(H, device=images.device, dtype=G_inv.dtype) + 0.5 - H / 2
    xs = torch.arange(W, device=images.device, dtype=G_inv.dtype) + 0.5 - W / 2
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")  # [H, W]
    q = torch.stack([gx, gy, torch.ones_like(gx)], dim=-1).reshape(1, H * W, 3)
    src = q @ G_inv.transpose(1, 2)  # [N, H*W, 3]
    ix = _reflect(torch.round(src[..., 0] + W / 2 - 0.5).long(), W)  # [N, H*W]
    iy = _reflect(torch.round(src[..., 1] + H / 2 - 0.5).long(), H)
    flat = images.reshape(N, C, H * W)
    index = (iy * W + ix)[:, None, :].expand(N, C, H * W)
    return flat.gather(2, index).reshape(N, C, H, W)


def _lowpass_taps(num_taps: int = 12, beta: float = 6.0) -> torch.Tensor:
    """Half-band low-pass for 2x resampling: Kaiser-windowed sinc, cutoff at half the Nyquist of the 2x grid."""
    n = np.arange(num_taps) - (num_taps - 1) / 2
    taps = np.sinc(n / 2) * np.kaiser(num_taps, beta)
    return setup_filter(torch.tensor(taps / taps.sum(), dtype=torch.float32))  # [num_taps], unit sum


LOWPASS = _lowpass_taps()
"""The 12-tap FIR of the resampling (1-D, separable)."""


def _conv_axis(x: torch.Tensor, taps: torch.Tensor, axis: int, pad: tuple[int, int], stride: int = 1) -> torch.Tensor:
    """Convolution of ``x [N, C, H, W]`` with 1-D ``taps`` along ``axis`` (3 = W, 2 = H), zero padding ``pad``.

    A sum of shifted slices: for these short filters on small images it is several times faster on CPU than a
    depthwise ``conv2d`` with a 1 x K kernel (which oneDNN runs on a slow path), and trivially twice differentiable.
    """
    padding = [pad[0], pad[1], 0, 0] if axis == 3 else [0, 0, pad[0], pad[1]]
    x = F.pad(x, padding)
    L = taps.shape[0]
    n_out = (x.shape[axis] - L) // stride + 1
    k = taps.flip(0).tolist()  # upfirdn2d convolves; slicing correlates
    out = None
    for i, w in enumerate(k):
        idx = [slice(None)] * 4
        idx[axis] = slice(i, i + stride * (n_out - 1) + 1, stride)
        term = x[tuple(idx)] * w
        out = term if out is None else out + term
    return out


def upsample2x(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``upsample2d(x, f)`` for an even-length symmetric 1-D ``f``, computed separably and polyphase (each output
    phase is a half-length filter on the input): about 10x faster on CPU than the transposed 2-D convolution.
    ``x: [N, C, H, W]`` -> ``[N, C, 2H, 2W]``."""
    L = f.shape[0]
    even, odd = f[1::2] * 2, f[0::2] * 2  # gain 2 per axis keeps the level
    for axis in (3, 2):
        lo = _conv_axis(x, even, axis, (L // 4, L // 4 - 1) if L % 4 == 0 else (L // 4, L // 4))
        hi = _conv_axis(x, odd, axis, (L // 4 - 1, L // 4) if L % 4 == 0 else (L // 4, L // 4))
        x = torch.stack([lo, hi], dim=axis + 1).flatten(axis, axis + 1)
    return x


def downsample2x(x: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """``downsample2d(x, f)`` for an even-length 1-D ``f``, computed separably. ``[N, C, H, W] -> [N, C, H/2, W/2]``."""
    L = f.shape[0]
    for axis in (3, 2):
        x = _conv_axis(x, f, axis, ((L - 1) // 2, (L - 2) // 2 + 1), stride=2)
    return x


def resample(images: torch.Tensor, G_inv: torch.Tensor, lowpass: torch.Tensor | None = None) -> torch.Tensor:
    """Apply the affine ``G_inv [N, 3, 3]`` to ``images [N, C, H, W]`` without aliasing or border leaks.

    Reflect-pad by the filter support, upsample 2x with the low-pass FIR and crop the padding (a clean 2x image of
    exactly the input area), sample the 2x-size output grid with one bilinear ``grid_sample`` that mirrors at the
    image edge for positions outside it, downsample 2x with the same FIR. The output grid is extended by the filter
    support on each side so that the final downsampling never sees zero padding either: a constant image stays
    exactly constant, border included.
    """
    N, C, H, W = images.shape
    f = (LOWPASS if lowpass is None else lowpass).to(images.device, images.dtype)
    m = (f.shape[-1] + 3) // 4  # filter half-length in input pixels
    pad = min(m, W - 1, H - 1)
    x = F.pad(images, [pad, pad, pad, pad], mode="reflect")
    x = upsample2x(x, f)[:, :, 2 * pad:2 * (pad + H), 2 * pad:2 * (pad + W)]  # [N, C, 2H, 2W]
    Ho, Wo = H + 2 * m, W + 2 * m
    # affine_grid (align_corners=False) gives output positions q / (Wo/2) in centred pixel units; the 2x input has
    # half-size W/2 in input pixels, hence theta = diag(2/W, 2/H) G_inv diag(Wo/2, Ho/2, 1).
    left = torch.diag(torch.tensor([2 / W, 2 / H], device=images.device, dtype=G_inv.dtype))
    right = torch.diag(torch.tensor([Wo / 2, Ho / 2, 1.0], device=images.device, dtype=G_inv.dtype))
    theta = left[None] @ G_inv[:, :2, :] @ right[None]  # [N, 2, 3]
    grid = F.affine_grid(theta.to(images.dtype), [N, C, 2 * Ho, 2 * Wo], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)  # [N, C, 2Ho, 2Wo]
    x = downsample2x(x, f)  # [N, C, Ho, Wo]
    return x[:, :, m:m + H, m:m + W]


def apply_geometric(images: torch.Tensor, G_inv: torch.Tensor, general: torch.Tensor) -> torch.Tensor:
    """Blit the samples with integer transforms, resample the ``general`` ones; identity samples stay untouched.

    Args:
        images: ``[N, C, H, W]``.
        G_inv: ``[N, 3, 3]`` from :func:`sample_geometric`.
        general: ``[N]`` bool, samples that need resampling.
    """
    eye = torch.eye(3, device=G_inv.device, dtype=G_inv.dtype)
    moved = ~(G_inv == eye).all(dim=2).all(dim=1)  # [N] samples with any transform
    blit_idx = torch.nonzero(moved & ~general).flatten()
    gen_idx = torch.nonzero(general).flatten()
    if blit_idx.numel() == 0 and gen_idx.numel() == 0:
        return images
    out = images
    if blit_idx.numel() > 0:
        out = out.index_copy(0, blit_idx, blit(images[blit_idx], G_inv[blit_idx]))
    if gen_idx.numel() > 0:
        out = out.index_copy(0, gen_idx, resample(images[gen_idx], G_inv[gen_idx]))
    return out
