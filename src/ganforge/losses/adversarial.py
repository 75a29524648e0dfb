"""Adversarial losses as pure functions of the discriminator's logits, registered by name.

Each :class:`AdversarialLoss` bundles the per-sample terms that a GAN objective needs: the generator's loss on fake
logits and the discriminator's losses on real and fake logits. The functions take logits ``[N, 1]`` (or ``[N]``) and
return per-sample losses ``[N]``; the objective reduces them (mean) and the loop calls ``backward``. They never
reduce over the batch (except where the loss itself is defined on batch statistics, see the relativistic loss), log
or move devices.

Relativistic losses compare real and fake logits, so they cannot be written as functions of one batch. They set the
optional *paired* terms ``g_pair_loss(real, fake)`` / ``d_pair_loss(real, fake)``; the objective always calls
:meth:`AdversarialLoss.generator` and :meth:`AdversarialLoss.discriminator`, which use the paired terms when present
and the single-batch terms otherwise. ``needs_real_for_g`` tells the objective to run D on reals in G's phase.

Registered: ``nonsaturating`` (StyleGAN2 default), ``minimax`` (saturating), ``wgan`` (critic with weight clipping),
``wgan-gp`` (critic, gradient penalty on interpolates), ``lsgan`` (a=0, b=1, c=1), ``lsgan-sym`` (a=-1, b=1, c=0),
``hinge``, ``relativistic`` (relativistic average logistic, RaSGAN), ``rpgan`` (relativistic pairing, R3GAN: trains
with R1 + R2 every D step). Adding one is a registration::

    ADVERSARIAL_LOSSES.register("mine", AdversarialLoss("mine", g_loss=..., d_real_loss=..., d_fake_loss=...))

The logistic terms are written with ``softplus`` so that they stay finite for any logit:
``softplus(x) = log(1 + exp(x)) = -log(sigmoid(-x))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import Tensor
from torch.nn.functional import relu, softplus

from ganforge.registry import Registry

Single = Callable[[Tensor], Tensor]
Paired = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class AdversarialLoss:
    """The per-sample terms of one adversarial loss.

    Attributes:
        name: Stable name (the registry key, used by configs and the CLI).
        g_loss: ``fake_logits [N, 1] -> [N]``, minimised by G (``None`` for paired-only losses).
        d_real_loss: ``real_logits [N, 1] -> [N]``, minimised by D.
        d_fake_loss: ``fake_logits [N, 1] -> [N]``, minimised by D.
        g_pair_loss: ``(real_logits, fake_logits) -> [N]`` for losses that compare the two (relativistic).
        d_pair_loss: ``(real_logits, fake_logits) -> (d_real [N], d_fake [N])`` likewise.
        weight_clip: Clip D's parameters to ``[-c, c]`` after every D step (WGAN's Lipschitz constraint).
        implied_reg: A regulariser this loss is defined with (``wgan-gp`` -> ``"wgan_gp"``), added when not given.
        default_r1: Whether R1 is on by default (``False`` for the WGANs, whose Lipschitz constraint is their own:
            weight clipping or the gradient penalty; ``--gamma`` still turns R1 on).
        gamma_reg: The regulariser ``--gamma`` weights and the presets' R1 weight goes to (``rpgan``: ``"r1r2"``,
            zero-centred R1 on reals plus R2 on fakes, every D step).
        threshold: The logit that separates "real" from "fake" decisions (for D accuracy diagnostics).
    """

    name: str
    g_loss: Single | None = None
    d_real_loss: Single | None = None
    d_fake_loss: Single | None = None
    g_pair_loss: Paired | None = None
    d_pair_loss: Callable[[Tensor, Tensor], tuple[Tensor, Tensor]] | None = None
    weight_clip: float | None = None
    implied_reg: str | None = None
    default_r1: bool = True
    gamma_reg: str = "r1"
    threshold: float = 0.0

    def __post_init__(self) -> None:
        if self.g_loss is None and self.g_pair_loss is None:
            raise ValueError(f"adversarial loss {self.name!r}: needs g_loss or g_pair_loss")
        if self.d_pair_loss is None and (self.d_real_loss is None or self.d_fake_loss is None):
            raise ValueError(f"adversarial loss {self.name!r}: needs d_real_loss and d_fake_loss, or d_pair_loss")
        if self.weight_clip is not None and self.weight_clip <= 0:
            raise ValueError(f"adversarial loss {self.name!r}: weight_clip must be > 0, got {self.weight_clip}")

    @property
    def needs_real_for_g(self) -> bool:
        """True when G's loss needs D's logits on reals too."""
        return self.g_pair_loss is not None

    def generator(self, fake_logits: Tensor, real_logits: Tensor | None = None) -> Tensor:
        """G's per-sample loss ``[N]``; ``real_logits`` is required when :attr:`needs_real_for_g`. Patch logits
        ``[N, K]`` (K > 1) get the loss per patch, averaged per sample (see :func:`patchwise`)."""
        if self.g_pair_loss is None:
            return patchwise(self.g_loss, fake_logits)
        if real_logits is None:
            raise ValueError(f"adversarial loss {self.name!r}: G's loss needs real_logits")
        return patchwise(self.g_pair_loss, real_logits, fake_logits)

    def discriminator(self, real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
        """D's per-sample losses ``(on reals [N], on fakes [N])`` (patch logits: averaged over the patches)."""
        if self.d_pair_loss is not None:
            return patchwise(self.d_pair_loss, real_logits, fake_logits)
        return patchwise(self.d_real_loss, real_logits), patchwise(self.d_fake_loss, fake_logits)


def patchwise(loss: Callable, *logits: Tensor):
    """``loss`` of ``[N, 1]`` logits applied to patch logits ``[N, K]`` (a D that judges K patches or scales, as
    PatchGAN or the projected D): each patch is scored as a sample of its own and the K losses are averaged per
    sample, so the hinge of every patch counts (not the hinge of their mean). ``[N, 1]`` and ``[N]`` pass through."""
    first = logits[0]
    if first.ndim != 2 or first.shape[1] == 1:
        return loss(*logits)
    n, k = first.shape
    if any(tuple(x.shape) != (n, k) for x in logits):
        raise ValueError(f"patch logits must all have shape [N, K], got {[list(x.shape) for x in logits]}")
    out = loss(*(x.reshape(n * k, 1) for x in logits))
    if isinstance(out, tuple):
        return tuple(t.reshape(n, k).mean(dim=1) for t in out)
    return out.reshape(n, k).mean(dim=1)


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


# Wasserstein GAN (Arjovsky et al. 2017): the critic maximises E[D(x)] - E[D(G(z))]; G maximises E[D(G(z))].
def wgan_g_loss(fake_logits: Tensor) -> Tensor:
    """``-D(G(z))``: ``[N, 1] -> [N]``. Also the hinge G loss (Lim & Ye 2017; Miyato et al. 2018)."""
    return -_per_sample(fake_logits)


def wgan_d_real_loss(real_logits: Tensor) -> Tensor:
    """``-D(x)``: ``[N, 1] -> [N]``."""
    return -_per_sample(real_logits)


def wgan_d_fake_loss(fake_logits: Tensor) -> Tensor:
    """``D(G(z))``: ``[N, 1] -> [N]``."""
    return _per_sample(fake_logits)


# Least squares GAN (Mao et al. 2017, Eq. 2): D pushes fakes to a and reals to b, G pushes fakes to c.
def lsgan_losses(a: float = 0.0, b: float = 1.0, c: float = 1.0) -> tuple[Single, Single, Single]:
    """``(g_loss, d_real_loss, d_fake_loss)`` of LSGAN with targets a (fake), b (real), c (G's target for fakes):
    ``g = (f - c)^2 / 2``, ``d_real = (r - b)^2 / 2``, ``d_fake = (f - a)^2 / 2``, each ``[N, 1] -> [N]``."""
    def g_loss(fake_logits: Tensor) -> Tensor:
        return 0.5 * (_per_sample(fake_logits) - c).square()

    def d_real_loss(real_logits: Tensor) -> Tensor:
        return 0.5 * (_per_sample(real_logits) - b).square()

    def d_fake_loss(fake_logits: Tensor) -> Tensor:
        return 0.5 * (_per_sample(fake_logits) - a).square()

    return g_loss, d_real_loss, d_fake_loss


# Hinge loss (Lim & Ye 2017 "Geometric GAN"; Miyato et al. 2018): D's margins at +-1, G as in WGAN.
def hinge_d_real_loss(real_logits: Tensor) -> Tensor:
    """``relu(1 - D(x))``: ``[N, 1] -> [N]``."""
    return relu(1.0 - _per_sample(real_logits))


def hinge_d_fake_loss(fake_logits: Tensor) -> Tensor:
    """``relu(1 + D(G(z)))``: ``[N, 1] -> [N]``."""
    return relu(1.0 + _per_sample(fake_logits))


# Relativistic average GAN (Jolicoeur-Martineau 2019, Eq. 5-6, logistic form "RaSGAN"): D estimates the probability
# that a real image is more realistic than the average fake (and vice versa); G plays the same game reversed.
def relativistic_d_loss(real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """``(-log sigmoid(r_i - mean f), -log(1 - sigmoid(f_i - mean r)))``: ``([N], [N])``."""
    r, f = _per_sample(real_logits), _per_sample(fake_logits)
    return softplus(-(r - f.mean())), softplus(f - r.mean())


def relativistic_g_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """``-log(1 - sigmoid(r_i - mean f)) - log sigmoid(f_i - mean r)``: ``[N]`` (reals and fakes paired by index)."""
    r, f = _per_sample(real_logits), _per_sample(fake_logits)
    if r.shape != f.shape:
        raise ValueError(f"relativistic G loss pairs reals and fakes: got {list(r.shape)} and {list(f.shape)}")
    return softplus(r - f.mean()) + softplus(-(f - r.mean()))


def rpgan_d_loss(real_logits: Tensor, fake_logits: Tensor) -> tuple[Tensor, Tensor]:
    """Relativistic pairing (R3GAN): ``softplus(-(r_i - f_i))`` per pair, reported half on reals, half on fakes."""
    r, f = _paired(real_logits, fake_logits, "rpgan D")
    loss = softplus(-(r - f))
    return 0.5 * loss, 0.5 * loss


def rpgan_g_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Relativistic pairing (R3GAN): ``softplus(-(f_i - r_i))``: ``[N]``."""
    r, f = _paired(real_logits, fake_logits, "rpgan G")
    return softplus(-(f - r))


def _paired(real_logits: Tensor, fake_logits: Tensor, what: str) -> tuple[Tensor, Tensor]:
    r, f = _per_sample(real_logits), _per_sample(fake_logits)
    if r.shape != f.shape:
        raise ValueError(f"{what} loss pairs reals and fakes one to one: got {list(r.shape)} and {list(f.shape)}")
    return r, f


_LOGISTIC = dict(d_real_loss=logistic_d_real_loss, d_fake_loss=logistic_d_fake_loss)
_WGAN = dict(g_loss=wgan_g_loss, d_real_loss=wgan_d_real_loss, d_fake_loss=wgan_d_fake_loss)
_LS_G, _LS_R, _LS_F = lsgan_losses(0.0, 1.0, 1.0)
_LSS_G, _LSS_R, _LSS_F = lsgan_losses(-1.0, 1.0, 0.0)

ADVERSARIAL_LOSSES.register("nonsaturating", AdversarialLoss("nonsaturating", g_loss=nonsaturating_g_loss, **_LOGISTIC))
ADVERSARIAL_LOSSES.register("minimax", AdversarialLoss("minimax", g_loss=minimax_g_loss, **_LOGISTIC))
ADVERSARIAL_LOSSES.register("wgan", AdversarialLoss("wgan", weight_clip=0.01, default_r1=False, **_WGAN))
ADVERSARIAL_LOSSES.register("wgan-gp", AdversarialLoss("wgan-gp", implied_reg="wgan_gp", default_r1=False,
                                                                **_WGAN))
ADVERSARIAL_LOSSES.register("lsgan", AdversarialLoss("lsgan", g_loss=_LS_G, d_real_loss=_LS_R, d_fake_loss=_LS_F,
                                                     threshold=0.5))
ADVERSARIAL_LOSSES.register("lsgan-sym", AdversarialLoss("lsgan-sym", g_loss=_LSS_G, d_real_loss=_LSS_R,
                                                         d_fake_loss=_LSS_F, threshold=0.0))
ADVERSARIAL_LOSSES.register("hinge", AdversarialLoss("hinge", g_loss=wgan_g_loss, d_real_loss=hinge_d_real_loss,
                                                     d_fake_loss=hinge_d_fake_loss))
ADVERSARIAL_LOSSES.register("relativistic", AdversarialLoss("relativistic", g_pair_loss=relativistic_g_loss,
                                                            d_pair_loss=relativistic_d_loss))
ADVERSARIAL_LOSSES.register("rpgan", AdversarialLoss("rpgan", g_pair_loss=rpgan_g_loss, d_pair_loss=rpgan_d_loss,
                                                     gamma_reg="r1r2"))
