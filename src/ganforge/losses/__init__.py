"""Loss terms as pure functions returning per-sample tensors (adversarial losses, gradient penalties)."""

from ganforge.losses.adversarial import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    get_adversarial_loss,
    logistic_d_fake_loss,
    logistic_d_real_loss,
    minimax_g_loss,
    nonsaturating_g_loss,
)
from ganforge.losses.penalties import path_length_penalty, r1_penalty

__all__ = [
    "ADVERSARIAL_LOSSES",
    "AdversarialLoss",
    "get_adversarial_loss",
    "nonsaturating_g_loss",
    "minimax_g_loss",
    "logistic_d_real_loss",
    "logistic_d_fake_loss",
    "r1_penalty",
    "path_length_penalty",
]
