"""Progressive growing (Karras et al. 2018, sec. 3): the stages a growing network declares and the image maths of a
fade-in.

A growing network builds every block from the start and keeps a **level** ``l`` in a buffer (``growth_level``, saved
with the weights): ``l = 0`` uses the first stage only (4x4 for a square model), ``l = k`` runs stages ``0..k`` and
``k + a`` with ``0 < a < 1`` fades stage ``k + 1`` in with weight ``alpha = a``::

    img = alpha * new + (1 - alpha) * upsample2x(old)        (G: ToRGB of the new and the previous stage)
    x   = alpha * FromRGB_new-path(img) + (1 - alpha) * FromRGB_old(avgpool2x(img))   (D, mirrored)

Images keep the full size at every level (as the paper's implementation): G upsamples its current output with
nearest neighbours to the final size, D average-pools its input down to the current stage first (the exact inverse),
and the reals go through :func:`blend_reals` (box-downsampled to the stage, blended the same way, upsampled back). So
augmentation, penalties, grids and metrics see one image size for the whole run, and only the growing networks and
the reals know the level. The level follows the run's ``growth`` schedule (``train/schedules.py``: kind ``grow``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Stage:
    """Where a growing network is: the stage it shows (``resolution``, the longer side) and the fade-in weight of
    that stage (``alpha`` 1 = stable; < 1 = fading in from ``resolution // 2``)."""

    index: int
    resolution: int
    alpha: float
    final_resolution: int

    @property
    def fading(self) -> bool:
        return self.alpha < 1.0

    def describe(self) -> str:
        """``growth stage 16 px (fading in from 8 px, alpha 0.40); images upscaled to 32 px`` (the longer side)."""
        where = f"{self.resolution} px"
        if self.fading:
            where += f" (fading in from {self.resolution // 2} px, alpha {self.alpha:.2f})"
        if self.resolution < self.final_resolution:
            where += f"; images upscaled to {self.final_resolution} px"
        return f"growth stage {where}"


def stage_of(level: float, resolutions: list[int]) -> Stage:
    """The stage at ``level`` of a network whose stages are ``resolutions`` (4, 8, ..., R): stage
    ``ceil(level)`` with ``alpha = level - floor(level)``, or 1 on a whole level. Levels are clamped to the stages."""
    level = min(max(float(level), 0.0), len(resolutions) - 1.0)
    index = math.ceil(level)
    alpha = 1.0 if index == level else level - math.floor(level)
    return Stage(index, resolutions[index], alpha, resolutions[-1])


def upsample(img: torch.Tensor, factor: int) -> torch.Tensor:
    """Nearest-neighbour upsampling by an integer factor (identity for 1)."""
    return img if factor == 1 else img.repeat_interleave(factor, dim=2).repeat_interleave(factor, dim=3)


def downsample(img: torch.Tensor, factor: int) -> torch.Tensor:
    """Box-filter downsampling by an integer factor (the mean of each ``factor x factor`` patch; identity for 1)."""
    return img if factor == 1 else F.avg_pool2d(img, factor)


def fade(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """``alpha * new + (1 - alpha) * old`` (``new`` exactly at alpha 1, ``old`` exactly at alpha 0)."""
    if alpha >= 1.0:
        return new
    if alpha <= 0.0:
        return old
    return torch.lerp(old, new, alpha)


def blend_reals(img: torch.Tensor, stage: Stage) -> torch.Tensor:
    """Real images as the networks see them at ``stage``: box-downsampled to the stage's size, during a fade-in
    blended with the previous stage (upsampled 2x), then upsampled back to the full size (nearest)."""
    factor = stage.final_resolution // stage.resolution
    new = downsample(img, factor)
    if stage.fading:
        new = fade(upsample(downsample(new, 2), 2), new, stage.alpha)
    return upsample(new, factor)


class Growable:
    """Mixin of a network that grows: call :meth:`init_growth` in ``__init__`` (after ``nn.Module.__init__``) with
    its stage resolutions; the level starts at the last stage (a full network). ``forward`` reads :attr:`stage`."""

    growth_resolutions: list[int]
    growing: bool = False
    """Whether this instance grows (a growing family builds non-growing networks too)."""

    def init_growth(self, resolutions: list[int]) -> None:
        self.growth_resolutions = list(resolutions)
        self.growing = True
        self.register_buffer("growth_level", torch.tensor(float(len(resolutions) - 1), dtype=torch.float64))

    def set_growth_level(self, level: float) -> None:
        """Show stage ``ceil(level)`` (fading in by ``level - floor(level)``); clamped to the network's stages."""
        self.growth_level.fill_(min(max(float(level), 0.0), len(self.growth_resolutions) - 1.0))

    @property
    def num_growth_levels(self) -> int:
        return len(self.growth_resolutions)

    @property
    def stage(self) -> Stage:
        return stage_of(float(self.growth_level), self.growth_resolutions)


def growth_stage(net: torch.nn.Module) -> Stage | None:
    """The stage of a growing network (``None`` for one that does not grow)."""
    return net.stage if isinstance(net, Growable) and net.growing else None
