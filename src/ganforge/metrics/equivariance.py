"""Equivariance metrics EQ-T, EQ-T_frac and EQ-R (Karras et al. 2021, "Alias-Free GANs", section 2 and appendix E).

For a generator that can move its input continuously (``G.set_transform``), equivariance to a transform ``t``
compares two images of the same ``w``: the one drawn with the input transformed, ``G(t[z0], w)``, and the
untransformed image transformed afterwards, ``t[G(z0, w)]``, over the pixels where both are defined. The result is
a PSNR in dB with the images' range ``[-1, 1]`` (peak-to-peak 2):

    EQ = 10 log10(2^2 / mean over samples and valid pixels of (G(t[z0], w) - t[G(z0, w)])^2)

* **EQ-T** (``eqt<N>_int``): translations by whole pixels, uniform up to 1/8 of the image per axis;
* **EQ-T_frac** (``eqt<N>_frac``): the same translations without rounding, the image shifted by band-limited
  (Kaiser-windowed sinc) interpolation;
* **EQ-R** (``eqr<N>``): rotations by an angle uniform in [-180, 180) degrees, the image rotated at 4x its rate
  (Kaiser low-pass upsampling, bilinear resampling, radially symmetric low-pass, decimation).

Pixels whose source lies outside the image (or within the interpolation kernel of its border) are masked out.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ganforge.models.network import generator_caps
from ganforge.nn.filtered_lrelu import resample_separable
from ganforge.nn.lowpass import design_lowpass_filter

__all__ = ["EQ_KINDS", "equivariance_psnr", "translate_images", "rotate_images", "psnr_db"]

EQ_KINDS = ("eqt_int", "eqt_frac", "eqr")
TRANSLATE_MAX = 0.125
"""Largest translation per axis, as a fraction of the image size."""
SINC_RADIUS = 8
"""Taps on each side of the windowed-sinc interpolator for fractional translations (at most ``size / 8``, so that
small images keep valid pixels)."""


def psnr_db(sq_err_sum: float, count: float, peak: float = 2.0) -> float:
    """``10 log10(peak^2 / (sq_err_sum / count))``; ``inf`` when the error is exactly 0."""
    mse = sq_err_sum / max(count, 1e-12)
    return float("inf") if mse == 0 else 10 * math.log10(peak * peak / mse)


def _interp_matrix(shift: torch.Tensor, size: int, radius: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample ``[N, size, size]`` matrices ``A[n, k] = h(n - shift - k)`` (windowed sinc; exact delta for whole
    shifts) and ``[N, size]`` masks of outputs whose kernel lies inside the input."""
    n = torch.arange(size, dtype=torch.float64, device=shift.device)
    x = n.view(1, -1, 1) - shift.view(-1, 1, 1).double() - n.view(1, 1, -1)  # [N, out, in]
    beta = 8.0  # Kaiser window over the radius: about 80 dB side lobes
    window = torch.from_numpy(np.i0(beta * np.sqrt(np.clip(1 - (x.cpu().numpy() / (radius + 1)) ** 2, 0, None)))
                              / np.i0(beta)).to(x.device)
    A = torch.sinc(x) * window * (x.abs() < radius + 1)
    src = n.view(1, -1) - shift.view(-1, 1).double()  # [N, out]: where each output pixel comes from
    lo, hi = (0, size - 1) if radius == 0 else (radius, size - 1 - radius)
    return A.float(), ((src >= lo - 1e-6) & (src <= hi + 1e-6)).float()


def translate_images(img: torch.Tensor, shift_px: torch.Tensor, integer: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Move the content of ``img [N, C, H, W]`` by ``shift_px [N, 2]`` pixels (x right, y down).

    Returns ``(moved [N, C, H, W], mask [N, 1, H, W])``; whole shifts copy pixels, fractional ones interpolate.
    """
    N, C, H, W = img.shape
    radius = 0 if integer else max(1, min(SINC_RADIUS, min(H, W) // 8))
    Ax, mx = _interp_matrix(shift_px[:, 0], W, radius)
    Ay, my = _interp_matrix(shift_px[:, 1], H, radius)
    moved = torch.einsum("nyk,nckl,nxl->ncyx", Ay.to(img.dtype), img, Ax.to(img.dtype))
    return moved, (my[:, :, None] * mx[:, None, :]).unsqueeze(1)


def rotate_images(img: torch.Tensor, angle_deg: torch.Tensor, up: int = 4, erode_px: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate the content of ``img [N, C, H, W]`` (square) by ``angle_deg [N]`` about the centre, as
    ``G.set_transform(rotate_deg=angle)`` rotates what G draws. Returns ``(rotated, mask [N, 1, H, W])``."""
    N, C, H, W = img.shape
    fs = up * W
    f_up = design_lowpass_filter(6 * up, W / 2, W / 2, fs).to(img.device)  # keeps the image band, drops the images
    f_down = design_lowpass_filter(6 * up, W / 2, W / 2, fs, radial=True).to(img.device)
    pad = (6 * up) // 2
    x = resample_separable(img, f_up, up=up, padding=(pad + up // 2 - 1, pad - up // 2, pad + up // 2 - 1,
                                                           pad - up // 2), gain=up * up)  # [N, C, up*H, up*W]
    a = angle_deg.to(img.device, torch.float32) * (math.pi / 180)
    c, s = torch.cos(a), torch.sin(a)
    # out(p) = in(M^-1 p) with M = [[c, s], [-s, c]] (the input transform's convention); y points down in both
    theta = torch.stack([torch.stack([c, -s, torch.zeros_like(c)], 1), torch.stack([s, c, torch.zeros_like(c)], 1)], 1)
    grid = F.affine_grid(theta, [N, C, up * H, up * W], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    p_down = (6 * up - up) // 2  # centred decimation: output pixel j sits at up * j + (up - 1) / 2
    rotated = resample_separable(x, f_down, down=up, padding=p_down)
    ones = torch.ones([N, 1, H, W], device=img.device)
    mask = F.grid_sample(ones, F.affine_grid(theta, [N, 1, H, W], align_corners=False), mode="nearest",
                         align_corners=False)
    mask = -F.max_pool2d(-F.pad(mask, [erode_px] * 4), 2 * erode_px + 1, stride=1)  # away from any border
    return rotated, mask


@torch.no_grad()
def equivariance_psnr(G: torch.nn.Module, kind: str, num_samples: int, *, batch_size: int = 16, seed: int = 0,
                      device: torch.device | str = "cpu", labels=None) -> float:
    """EQ-T (``eqt_int``), EQ-T_frac (``eqt_frac``) or EQ-R (``eqr``) of ``G`` in dB over ``num_samples`` images.

    Args:
        G: A generator whose capabilities declare ``has_input_transform`` and ``has_mapping``.
        kind: One of :data:`EQ_KINDS`.
        num_samples: Images to compare.
        batch_size: Images per pass (memory only).
        seed: Seed of the latents and the transforms.
        device: Where G runs.
        labels: ``labels(n, rng) -> c [n, c_dim]`` for a conditional G (``None``: unconditional).
    """
    if kind not in EQ_KINDS:
        raise ValueError(f"unknown equivariance metric kind {kind!r}; choose from {', '.join(EQ_KINDS)}")
    caps = generator_caps(G)
    if not (caps.has_input_transform and caps.has_mapping):
        raise ValueError(f"equivariance metrics need a generator that can move its input (StyleGAN3, or "
                         f"StyleGAN2 with input='fourier'); "
                         f"{type(G).__name__} cannot")
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    err, count = 0.0, 0.0
    try:
        for start in range(0, num_samples, batch_size):
            n = min(batch_size, num_samples - start)
            z = torch.randn([n, G.z_dim], generator=gen).to(device)
            c = labels(n, rng) if labels is not None else None
            ws = G.mapping(z, c)
            G.set_transform((0.0, 0.0), 0.0)
            img = G.synthesis(ws, noise_mode="const")  # StyleGAN2: the stored noise (ignored by StyleGAN3)
            res = img.shape[-1]
            ref, mask, moved = [], [], []
            for i in range(n):  # one transform per sample
                if kind == "eqr":
                    angle = float(rng.uniform(-180.0, 180.0))
                    G.set_transform((0.0, 0.0), angle)
                    out, m = rotate_images(img[i:i + 1], torch.tensor([angle]))
                else:
                    t = rng.uniform(-TRANSLATE_MAX, TRANSLATE_MAX, size=2) * res
                    t = np.rint(t) if kind == "eqt_int" else t
                    G.set_transform((float(t[0] / res), float(t[1] / res)), 0.0)
                    out, m = translate_images(img[i:i + 1], torch.tensor(t[None], dtype=torch.float64),
                                              integer=kind == "eqt_int")
                moved.append(G.synthesis(ws[i:i + 1], noise_mode="const"))
                ref.append(out)
                mask.append(m)
            diff = (torch.cat(moved) - torch.cat(ref)).double().square() * torch.cat(mask).double()
            err += diff.sum().item()
            count += torch.cat(mask).double().sum().item() * img.shape[1]
    finally:
        G.set_transform((0.0, 0.0), 0.0)
    if count == 0:
        raise ValueError(f"{kind}: no pixel of the {res}x{res} images stays valid under the transforms")
    return psnr_db(err, count)
