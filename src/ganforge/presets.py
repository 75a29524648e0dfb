"""The training-preset registry (``--cfg``): named partial configs.

A :class:`Preset` is a partial ``TrainConfig`` (``values``, sectioned as in ``config.json``: run length and batch,
optimiser, loss and regularisers, augmentation, schedules, even the model family) plus ``model_hints`` that each family
takes where it has the field. Generic presets are registered by ``train/presets.py``; a family registers its own recipes
from its package (``models/<family>/``), so that the generic code names no family. This module imports nothing of
ganforge but the registry, so both can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ganforge.registry import Registry


@dataclass(frozen=True)
class Preset:
    """A partial config: ``values`` (sectioned, as in ``config.json``) and ``model_hints`` for the family defaults."""

    values: dict[str, Any] = field(default_factory=dict)
    model_hints: dict[str, Any] = field(default_factory=dict)
    description: str = ""


PRESETS: Registry[Preset] = Registry("training preset")


def cosine_schedules(targets: dict[str, tuple[float, float]], ramp_kimg: float,
                     warmup_kimg: float = 0.0) -> list[dict[str, Any]]:
    """Schedule entries ``target: (start, end)`` that all follow one cosine ramp over ``ramp_kimg`` (a recipe's
    decay phase), as partial-config dicts."""
    return [{"target": target, "kind": "cosine", "start": float(start), "end": float(end), "ramp_kimg": ramp_kimg,
             "warmup_kimg": warmup_kimg} for target, (start, end) in targets.items()]
