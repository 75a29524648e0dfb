"""``AugmentPipe``: the ADA augmentation pipeline as one differentiable ``nn.Module`` (Karras et al. 2020, app. B).

Applied to every image the discriminator sees (reals, fakes, R1 inputs), in the paper's order: pixel blitting and
general geometric transforms (composed into one matrix per sample, see ``geometric.py``), colour transforms
(one 4x4 matrix per sample, ``color.py``), image-space filtering (``filtering.py``), additive noise and cutout
(``corruption.py``). Each op is applied to each sample independently with probability ``multiplier * p``; ``p`` is a
buffer the training loop sets (fixed, or tuned by the ADA controller). With ``p = 0`` the input is returned as is
and no random numbers are drawn. All draws come from torch's global generator (the loop seeds it per round).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch

from ganforge.augment.color import apply_color, sample_color
from ganforge.augment.corruption import add_noise, apply_cutout
from ganforge.augment.filtering import apply_band_gains, sample_band_gains
from ganforge.augment.geometric import apply_geometric, sample_geometric
from ganforge.nn.shape import assert_shape


@dataclass(frozen=True)
class AugmentSpec:
    """Per-op probability multipliers (0 = off) and strengths; the strengths default to the paper's values."""

    xflip: float = 0.0
    rotate90: float = 0.0
    xint: float = 0.0
    xint_max: float = 0.125
    """Integer translation: up to this fraction of the image size."""
    scale: float = 0.0
    rotate: float = 0.0
    aniso: float = 0.0
    xfrac: float = 0.0
    scale_std: float = 0.2
    """Isotropic scaling: log2-normal std."""
    rotate_max: float = 1.0
    """Arbitrary rotation: uniform up to this fraction of a full turn."""
    aniso_std: float = 0.2
    """Anisotropic scaling: log2-normal std."""
    xfrac_std: float = 0.125
    """Fractional translation: normal std as a fraction of the image size."""
    brightness: float = 0.0
    contrast: float = 0.0
    lumaflip: float = 0.0
    hue: float = 0.0
    saturation: float = 0.0
    brightness_std: float = 0.2
    contrast_std: float = 0.5
    """log2-normal std."""
    hue_max: float = 1.0
    """Hue rotation: uniform up to this fraction of a full turn."""
    saturation_std: float = 1.0
    """log2-normal std."""
    imgfilter: float = 0.0
    imgfilter_bands: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    imgfilter_std: float = 1.0
    noise: float = 0.0
    cutout: float = 0.0
    noise_std: float = 0.1
    cutout_size: float = 0.5

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            values = value if isinstance(value, tuple) else (value,)
            if any(v < 0 for v in values):
                raise ValueError(f"augment spec: {f.name} must be >= 0, got {value}")

    def group(self, names: tuple[str, ...]) -> dict:
        return {name: getattr(self, name) for name in names}


GEOM_KEYS = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac", "xint_max", "scale_std", "rotate_max",
             "aniso_std", "xfrac_std")
COLOR_KEYS = ("brightness", "contrast", "lumaflip", "hue", "saturation", "brightness_std", "contrast_std", "hue_max",
              "saturation_std")
FILTER_KEYS = ("imgfilter", "imgfilter_bands", "imgfilter_std")


class AugmentPipe(torch.nn.Module):
    """``augment(images [N, C, H, W] in [-1, 1]) -> [N, C, H, W]``, differentiable w.r.t. the images.

    Args:
        spec: Op multipliers and strengths (``presets.augpipe_spec('bgc')`` for the paper's presets).
        p: Initial augmentation probability (the ``p`` buffer; the loop updates it in place).
    """

    def __init__(self, spec: AugmentSpec, p: float = 0.0):
        super().__init__()
        self.spec = spec
        self.register_buffer("p", torch.tensor(float(p)))

    def set_p(self, p: float) -> None:
        """Set the augmentation probability (clamped to [0, 1])."""
        self.p.fill_(min(max(float(p), 0.0), 1.0))

    def extra_repr(self) -> str:
        active = {k: v for k, v in asdict(self.spec).items() if k in GEOM_KEYS[:7] + COLOR_KEYS[:5] + (
            "imgfilter", "noise", "cutout") and v > 0}
        return f"p={float(self.p):.4f}, ops={active}"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        assert_shape(images, [None, None, None, None], "images")
        p = float(self.p)
        if p <= 0:
            return images
        s = self.spec
        N, C, H, W = images.shape
        device = images.device
        x = images
        if any(getattr(s, k) > 0 for k in GEOM_KEYS[:7]):
            geom = s.group(GEOM_KEYS)
            if H != W:  # a quarter turn does not map a non-square frame onto itself: the op is skipped
                geom["rotate90"] = 0.0
            G_inv, general = sample_geometric(N, W, H, device, p=p, **geom)
            x = apply_geometric(x, G_inv.to(torch.float64 if x.dtype == torch.float64 else torch.float32), general)
        if any(getattr(s, k) > 0 for k in COLOR_KEYS[:5]):
            Cm = sample_color(N, device, p=p, **s.group(COLOR_KEYS)).to(x.dtype)
            x = apply_color(x, Cm)
        if s.imgfilter > 0:
            x = apply_band_gains(x, sample_band_gains(N, device, p=p, **s.group(FILTER_KEYS)))
        if s.noise > 0:
            x = add_noise(x, p=p, noise=s.noise, noise_std=s.noise_std)
        if s.cutout > 0:
            x = apply_cutout(x, p=p, cutout=s.cutout, cutout_size=s.cutout_size)
        return x
