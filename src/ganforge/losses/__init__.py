"""Loss terms as pure functions returning per-sample tensors (adversarial losses, gradient penalties, regularisers)."""

from ganforge.losses.adversarial import (
    ADVERSARIAL_LOSSES,
    AdversarialLoss,
    get_adversarial_loss,
    logistic_d_fake_loss,
    logistic_d_real_loss,
    minimax_g_loss,
    nonsaturating_g_loss,
)
from ganforge.losses.penalties import (dragan_points, drift_penalty, gradient_norm_penalty, interpolate, lecam_penalty, lecam_update,
                                       path_length_penalty, r1_penalty, r2_penalty)
from ganforge.losses.regularizers import REGULARIZERS, RegConfig, Regularizer, get_regularizer, parse_reg

__all__ = [
    "ADVERSARIAL_LOSSES",
    "AdversarialLoss",
    "get_adversarial_loss",
    "nonsaturating_g_loss",
    "minimax_g_loss",
    "logistic_d_real_loss",
    "logistic_d_fake_loss",
    "r1_penalty",
    "r2_penalty",
    "gradient_norm_penalty",
    "interpolate",
    "dragan_points",
    "lecam_penalty",
    "drift_penalty",
    "lecam_update",
    "path_length_penalty",
    "REGULARIZERS",
    "Regularizer",
    "RegConfig",
    "get_regularizer",
    "parse_reg",
]
