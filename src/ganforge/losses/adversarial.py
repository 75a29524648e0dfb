"""Adversarial losses as pure functions of the discriminator's logits, registered by name.

Each :class:`AdversarialLoss` bundles the three per-sample terms that a GAN objective needs:
the generator's loss on fake logits and the discriminator's losses on real and fake logits. The
functions take logits ``[N, 1]`` (or ``[N]``) and return per-sample losses ``[N]``; the objective
reduces them (mean or sum) and the loop calls ``backward``. They never reduce, log or move devices.

All terms are written with ``softplus`` so that they stay finite for any logit: with
``sigmoid(x) = 1 / (1 + exp(-x))``, ``softplus(x) = log(1 + exp(x)) = -log(sigmoid(-x))``.

Adding a loss (hinge, WGAN, LSGAN, relativistic, ...) is one registration::

    ADVERSARIAL_LOSSES.register("hinge", AdversarialLoss("hinge", g_loss=..., d_real_loss=..., d_fake_loss=...))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import Tensor
from torch.nn.functional import softplus

from ganforge.registry import Registry


@dataclass(frozen=True)
class AdversarialLoss:
    """The per-sample terms of one adversarial loss.

    Attributes:
        name: Stable name (the registry key, used by configs and the CLI).
        g_loss: ``fake_logits [N, 1] -> [N]``, minimised by G.
        d_real_loss: ``real_logits [N, 1] -> [N]``, minimised by D.
        d_fake_loss: ``fake_logits [N, 1] -> [N]``, minimised by D.
    """

    name: str
    g_loss: Callable[[Tensor], Tensor]
    d_real_loss: Callable[[Tensor], Tensor]
    d_fake_loss: Callable[[Tensor], Tensor]


ADVERSARIAL_LOSSES: Registry[AdversarialLoss] = Registry("adversarial loss")


def get_adversarial_loss(name: str) -> AdversarialLoss:
    """The adversarial loss registered as ``name`` (``ValueError`` listing the known names otherwise)."""
    return ADVERSARIAL_LOSSES.get(name)


def _per_sample(logits: Tensor) -> Tensor:
    """``[N, 1]`` or ``[N]`` logits -> ``[N]``."""
    if logits.ndim == 2 and logits.shape[1] == 1:
        return logits[:, 0]
    if logits.ndim == 1:
        return logits
    raise ValueError(f"logits must have shape [N, 1] or [N], got {list(logits.shape)}")


# Goodfellow et al. 2014, with the non-saturating generator loss of their Sec. 3; the StyleGAN2 default.
def nonsaturating_g_loss(fake_logits: Tensor) -> Tensor:
    """Non-saturating G loss ``-log(sigmoid(fake))``: ``[N, 1] -> [N]``."""
    return softplus(-_per_sample(fake_logits))  # -log(sigmoid(fake_logits))


def logistic_d_real_loss(real_logits: Tensor) -> Tensor:
    """D loss on reals ``-log(sigmoid(real))``: ``[N, 1] -> [N]``."""
    return softplus(-_per_sample(real_logits))  # -log(sigmoid(real_logits))


def logistic_d_fake_loss(fake_logits: Tensor) -> Tensor:
    """D loss on fakes ``-log(1 - sigmoid(fake))``: ``[N, 1] -> [N]``."""
    return softplus(_per_sample(fake_logits))  # -log(1 - sigmoid(fake_logits))


# The original minimax game (Goodfellow et al. 2014, Eq. 1): G minimises log(1 - D(G(z))), whose
# gradient vanishes when D confidently rejects fakes (hence "saturating").
def minimax_g_loss(fake_logits: Tensor) -> Tensor:
    """Saturating G loss ``log(1 - sigmoid(fake))``: ``[N, 1] -> [N]`` (always <= 0)."""
    return -softplus(_per_sample(fake_logits))  # log(1 - sigmoid(fake_logits))


ADVERSARIAL_LOSSES.register("nonsaturating", AdversarialLoss(
    "nonsaturating", g_loss=nonsaturating_g_loss, d_real_loss=logistic_d_real_loss, d_fake_loss=logistic_d_fake_loss))
ADVERSARIAL_LOSSES.register("minimax", AdversarialLoss(
    "minimax", g_loss=minimax_g_loss, d_real_loss=logistic_d_real_loss, d_fake_loss=logistic_d_fake_loss))
