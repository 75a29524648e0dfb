"""LeCam anchors (Tseng et al. 2021): the moving averages of D's outputs on reals and fakes, as module buffers.

The regulariser itself is the pure :func:`ganforge.losses.penalties.lecam_penalty`; this small module only holds its
state (so that it moves with ``.to(device)``, lands in checkpoints through ``state_dict`` and resumes exactly) and
applies the pure EMA step :func:`ganforge.losses.penalties.lecam_update`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ganforge.losses.penalties import lecam_update


class LeCamAnchors(torch.nn.Module):
    """``anchor_real``, ``anchor_fake``: 0-dim buffers, EMA of the mean real / fake logits with ``decay``."""

    def __init__(self, decay: float = 0.99) -> None:
        super().__init__()
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"LeCam decay must be in [0, 1], got {decay}")
        self.decay = decay
        self.register_buffer("anchor_real", torch.zeros([]))
        self.register_buffer("anchor_fake", torch.zeros([]))

    @torch.no_grad()
    def update(self, real_logits: Tensor, fake_logits: Tensor) -> None:
        """One EMA step from a batch of logits ``[N, 1]`` (detached)."""
        new_real, new_fake = lecam_update(self.anchor_real, self.anchor_fake, real_logits, fake_logits, self.decay)
        self.anchor_real.copy_(new_real)
        self.anchor_fake.copy_(new_fake)
