"""What every reader of a foreign network file returns: data only (state dicts, a model config, provenance).

Readers (official NVIDIA pickles, rosinality ``.pt``) return a :class:`NetworkData`; they build nothing for use
and know nothing of inference or training. :func:`ganforge.inference.open_networks` turns it into the one
holder of an opened network file, :class:`ganforge.inference.NetworkFile`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from ganforge.config import Config
from ganforge.models import build_discriminator, build_generator

BUILDERS = {"G": build_generator, "G_ema": build_generator, "D": build_discriminator}
"""Network name in a file -> the ganforge builder of that network (used to check tensor layouts)."""


class NetworkData(NamedTuple):
    """The networks of one file, read into ganforge's state-dict layout (fp32, CPU), nothing built."""

    model_config: Config
    """The ganforge model config (e.g. ``StyleGAN2Config``) that the state dicts fit."""
    state_dicts: dict[str, dict[str, torch.Tensor]]
    """``"G"``, ``"D"``, ``"G_ema"`` (whichever the file has) -> state dict."""
    source: str
    """Which code wrote the file, e.g. ``"stylegan2-ada-pytorch"``, ``"rosinality/stylegan2-pytorch"``."""
    metadata: dict[str, Any]
    """JSON-able data kept from the file (augment pipe probabilities, training-set kwargs, what was filled in)."""
    config: dict[str, Any] | None = None
    """The training config stored with the networks (``None``: the file keeps none in ganforge's form)."""
