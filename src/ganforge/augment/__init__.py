"""Discriminator augmentation for small datasets: ADA (``AugmentPipe`` + controller) and DiffAugment.

``build_augment(mode, ...)`` turns the ``--aug`` options into the callable the objective applies to every image D
sees (``None`` for ``noaug``). See docs/augmentation.md.
"""

from __future__ import annotations

import torch

from ganforge.augment.controller import accumulate_signs, ada_adjust, overfit_heuristic
from ganforge.augment.diffaugment import POLICIES, DiffAugment
from ganforge.augment.pipeline import AugmentPipe, AugmentSpec
from ganforge.augment.presets import AUGPIPES, augpipe_spec, list_augpipes

AUG_MODES = ("noaug", "ada", "fixed", "diffaug")


def build_augment(mode: str, *, augpipe: str = "bgc", p: float = 0.0, diffaug_policy: str = "color,translation,cutout",
                  device: torch.device | str = "cpu") -> torch.nn.Module | None:
    """The augmentation module of a run: ``AugmentPipe`` (ada, fixed), ``DiffAugment`` (diffaug) or ``None``."""
    if mode not in AUG_MODES:
        raise ValueError(f"--aug must be one of {', '.join(AUG_MODES)}, got {mode!r}")
    if not 0 <= p <= 1:
        raise ValueError(f"--p must be in [0, 1], got {p}")
    if mode == "noaug":
        return None
    if mode == "diffaug":
        return DiffAugment(diffaug_policy).to(device)
    return AugmentPipe(augpipe_spec(augpipe), p=p).to(device)


__all__ = ["AUG_MODES", "AUGPIPES", "POLICIES", "AugmentPipe", "AugmentSpec", "DiffAugment", "accumulate_signs",
           "ada_adjust", "augpipe_spec", "build_augment", "list_augpipes", "overfit_heuristic"]
