"""The ADA paper's augmentation presets (``--augpipe``): which op groups are on, each with multiplier 1.

``blit`` = x-flip, 90-degree rotations, integer translation; ``geom`` = isotropic and anisotropic scaling,
rotation, fractional translation; ``color`` = brightness, contrast, luma flip, hue, saturation; ``filter`` =
image-space filtering; ``noise`` = additive RGB noise; ``cutout``. ``bg`` = blit + geom, ``bgc`` = + color (the
paper's default), ``bgcf`` = + filter, ``bgcfn`` = + noise, ``bgcfnc`` = + cutout.
"""

from __future__ import annotations

from ganforge.augment.pipeline import AugmentSpec
from ganforge.registry import Registry

GROUPS = {
    "b": dict(xflip=1, rotate90=1, xint=1),
    "g": dict(scale=1, rotate=1, aniso=1, xfrac=1),
    "c": dict(brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1),
    "f": dict(imgfilter=1),
    "n": dict(noise=1),
    "c2": dict(cutout=1),
}

AUGPIPES: Registry[AugmentSpec] = Registry("augmentation preset (--augpipe)")


def _spec(*groups: str) -> AugmentSpec:
    values: dict = {}
    for g in groups:
        values.update(GROUPS[g])
    return AugmentSpec(**values)


for _name, _groups in {
    "blit": ("b",), "geom": ("g",), "color": ("c",), "filter": ("f",), "noise": ("n",), "cutout": ("c2",),
    "bg": ("b", "g"), "bgc": ("b", "g", "c"), "bgcf": ("b", "g", "c", "f"), "bgcfn": ("b", "g", "c", "f", "n"),
    "bgcfnc": ("b", "g", "c", "f", "n", "c2"),
}.items():
    AUGPIPES.register(_name, _spec(*_groups))


def augpipe_spec(name: str) -> AugmentSpec:
    """The ``AugmentSpec`` of a preset name (``ValueError`` listing the known names otherwise)."""
    return AUGPIPES.get(name)


def list_augpipes() -> list[str]:
    return AUGPIPES.names()
