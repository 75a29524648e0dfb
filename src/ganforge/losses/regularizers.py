"""Regularisers as named, registered terms: which network they train, how they call the nets, default weight/interval.

A :class:`Regularizer` wraps one pure penalty of ``losses/penalties.py`` with the network calls it needs, reading them
from a :class:`RegContext` (one round of one phase; it caches the generated batch and D's logits so that terms in the
same phase share forward passes). A :class:`RegConfig` (``name``, ``weight``, ``interval``) is what configs and the CLI
hold (``--reg r2:1:16``). The objective reduces each term as ``mean(penalty) * weight * scale * reg_gain(phase)``:
the lazy-interval gain is applied in one place (``train/phases.py`` ``reg_gain``), never here.

Registered (module, default weight, default interval; ``scale`` in brackets when not 1):

=========  ===  ======  ==  ================================================================================
r1         D    10      16  ``gamma / 2 * ||grad_x D(x)||^2`` on reals [0.5] (Mescheder et al. 2018)
r2         D    10      16  the same on fakes [0.5]
r1r2       D    10      -   R1 + R2 with one gamma [0.5] (R3GAN; the ``rpgan`` loss's ``--gamma``)
wgan_gp    D    10      -   ``(||grad D(x^)|| - 1)^2`` on real/fake interpolates (Gulrajani et al. 2017)
dragan     D    10      -   the same around perturbed reals (Kodali et al. 2017)
dragan1    D    10      -   one-sided DRAGAN: only norms above 1
drift      D    0.001   -   ``D(x)^2`` on reals: ProGAN's epsilon drift, keeps the critic near 0 (Karras et al. 2018)
lecam      D    0.3     -   ``(D(x) - a_F)^2 + (D(G(z)) - a_R)^2`` with EMA anchors (Tseng et al. 2021)
pl         G    2       4   path length (StyleGAN2; needs a G with ``mapping``/``synthesis``)
=========  ===  ======  ==  ================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

import torch
from torch import Tensor

from ganforge.config import Config
from ganforge.losses.penalties import (dragan_points, drift_penalty, gradient_norm_penalty, interpolate, lecam_penalty,
                                       path_length_penalty, r1_penalty, r2_penalty)
from ganforge.registry import Registry


@dataclass(frozen=True)
class RegConfig(Config):
    """One regulariser of a run: registered ``name``, ``weight`` (None = its default), lazy ``interval``
    (None = its default; 0 = every step with the main loss, k >= 1 = its own phase every k minibatches)."""

    name: str = "r1"
    weight: float | None = None
    interval: int | None = None

    def __post_init__(self) -> None:
        REGULARIZERS.get(self.name)  # ValueError listing the known names
        if self.weight is not None and self.weight < 0:
            raise ValueError(f"regulariser {self.name}: weight must be >= 0, got {self.weight}")
        if self.interval is not None and self.interval < 0:
            raise ValueError(f"regulariser {self.name}: interval must be >= 0, got {self.interval}")


def parse_reg(spec: str) -> RegConfig:
    """``"name[:weight[:interval]]"`` -> :class:`RegConfig` (``"r1:10:16"``, ``"lecam:0.3"``, ``"dragan"``)."""
    parts = spec.strip().split(":")
    if not parts[0] or len(parts) > 3:
        raise ValueError(f"--reg {spec!r}: expected NAME[:WEIGHT[:INTERVAL]], e.g. r1:10:16 or lecam:0.3")
    try:
        weight = float(parts[1]) if len(parts) > 1 and parts[1] else None
        interval = int(parts[2]) if len(parts) > 2 and parts[2] else None
    except ValueError:
        raise ValueError(f"--reg {spec!r}: WEIGHT must be a number and INTERVAL an integer") from None
    return RegConfig(name=parts[0], weight=weight, interval=interval)


@dataclass
class RegContext:
    """The tensors of one round of one phase, computed at most once and shared by the terms that need them.

    ``run_G(z, c) -> (img, ws | None)`` and ``run_D(img, c) -> logits`` are the objective's (so augmentation and style
    mixing apply); ``real_img [N, C, H, W]`` in [-1, 1], ``gen_z [N, z_dim]``, ``c [N, c_dim] | None``.
    """

    run_G: Callable
    run_D: Callable
    real_img: Tensor
    real_c: Tensor | None
    gen_z: Tensor
    gen_c: Tensor | None
    pl_mean: Tensor
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    cur_nimg: int = 0
    """Images shown so far (for terms that change over training)."""
    state: dict = field(default_factory=dict)
    """What stateful terms expose to the penalties (``lecam`` -> :class:`~ganforge.losses.lecam.LeCamAnchors`)."""
    real: Tensor | None = None
    """Reals with ``requires_grad`` (R1's input) once a term asked for them."""
    real_logits: Tensor | None = None
    """``D(real)`` with the graph to ``real`` (shared by R1 and the main loss in a non-lazy phase)."""
    fake_img: Tensor | None = None
    """Generated batch, detached from G."""
    fake_logits: Tensor | None = None
    """D's logits on ``fake_img`` from the main loss (no graph to the images)."""
    outputs: dict = field(default_factory=dict)
    """Side results for the loop (``pl_lengths_mean``) and statistics (``Loss/...``)."""

    def reals_with_grad(self) -> tuple[Tensor, Tensor]:
        """``(real, D(real))`` with ``real.requires_grad``; reuses the main pass when it already has the graph."""
        if self.real is None or self.real_logits is None or not self.real.requires_grad:
            self.real = self.real_img.detach().requires_grad_(True)
            self.real_logits = self.run_D(self.real, self.real_c)
        return self.real, self.real_logits

    def fakes(self) -> Tensor:
        """The generated batch (detached), generated once per context."""
        if self.fake_img is None:
            with torch.no_grad():
                self.fake_img, _ = self.run_G(self.gen_z, self.gen_c)
        return self.fake_img


@dataclass(frozen=True)
class Regularizer:
    """A registered regulariser: ``penalty(ctx) -> [N]`` for network ``module``; ``scale`` is folded into the
    weight (0.5 for R1/R2, whose weight is the paper's gamma)."""

    name: str
    module: Literal["G", "D"]
    penalty: Callable[[RegContext], Tensor]
    default_weight: float
    default_interval: int = 0
    scale: float = 1.0
    needs_mapping: bool = False
    term: Callable | None = None
    """``term(loss_section, device) -> TrainingTerm``: the state the regulariser keeps (train/terms.py); the loop
    updates and checkpoints it."""
    description: str = ""


REGULARIZERS: Registry[Regularizer] = Registry("regulariser")


def get_regularizer(name: str) -> Regularizer:
    """The regulariser registered as ``name`` (``ValueError`` listing the known names otherwise)."""
    return REGULARIZERS.get(name)


def _r1(ctx: RegContext) -> Tensor:
    real, logits = ctx.reals_with_grad()
    ctx.outputs["Loss/scores/real"] = logits.detach().flatten()
    penalty = r1_penalty(real, logits)  # [N]
    ctx.outputs["Loss/r1_penalty"] = penalty.detach()
    return penalty


def _r2(ctx: RegContext) -> Tensor:
    fake = ctx.fakes().detach().requires_grad_(True)
    penalty = r2_penalty(fake, ctx.run_D(fake, ctx.gen_c))
    ctx.outputs["Loss/r2_penalty"] = penalty.detach()
    return penalty


def _r1r2(ctx: RegContext) -> Tensor:
    """R3GAN's ``R1 + R2`` per pair (reals and fakes of one round), weighted together by ``gamma / 2``."""
    return _r1(ctx) + _r2(ctx)


def _wgan_gp(ctx: RegContext) -> Tensor:
    points = interpolate(ctx.real_img, ctx.fakes())
    penalty = gradient_norm_penalty(points, ctx.run_D(points, ctx.real_c))
    ctx.outputs["Loss/gp_penalty"] = penalty.detach()
    return penalty


def _dragan(one_sided: bool) -> Callable[[RegContext], Tensor]:
    def penalty_fn(ctx: RegContext) -> Tensor:
        points = dragan_points(ctx.real_img)
        penalty = gradient_norm_penalty(points, ctx.run_D(points, ctx.real_c), one_sided=one_sided)
        ctx.outputs["Loss/dragan_penalty"] = penalty.detach()
        return penalty
    return penalty_fn


def _drift(ctx: RegContext) -> Tensor:
    """``D(x)^2`` on reals; reuses the main pass's real logits in the same phase (their graph reaches D)."""
    if ctx.real_logits is None:  # lazy phase: own forward pass
        ctx.real_logits = ctx.run_D(ctx.real_img.detach(), ctx.real_c)
    penalty = drift_penalty(ctx.real_logits)  # [N]
    ctx.outputs["Loss/drift_penalty"] = penalty.detach()
    return penalty


def _lecam(ctx: RegContext) -> Tensor:
    anchors = ctx.state["lecam"]
    if ctx.fake_logits is None or ctx.real_logits is None:  # lazy phase: own forward passes
        ctx.fake_logits = ctx.run_D(ctx.fakes(), ctx.gen_c)
        ctx.real_logits = ctx.run_D(ctx.real_img.detach(), ctx.real_c)
    penalty = lecam_penalty(ctx.real_logits, ctx.fake_logits, anchors.anchor_real, anchors.anchor_fake)
    # the anchors move after the phase (train/terms.py LeCamTerm), from these means over rounds and processes
    ctx.outputs["lecam_real"] = ctx.real_logits.detach().mean()
    ctx.outputs["lecam_fake"] = ctx.fake_logits.detach().mean()
    ctx.outputs["Loss/lecam_penalty"] = penalty.detach()
    return penalty


def _path_length(ctx: RegContext) -> Tensor:
    n = max(ctx.gen_z.shape[0] // ctx.pl_batch_shrink, 1)
    img, ws = ctx.run_G(ctx.gen_z[:n], ctx.gen_c[:n] if ctx.gen_c is not None else None)
    penalty, _, lengths = path_length_penalty(img, ws, ctx.pl_mean, decay=ctx.pl_decay)
    ctx.outputs["Loss/pl_penalty"] = penalty.detach()
    ctx.outputs["Loss/pl_length"] = lengths
    ctx.outputs["pl_lengths_mean"] = lengths.mean()
    return penalty


def _lecam_term(loss, device):
    from ganforge.train.terms import LeCamTerm

    return LeCamTerm(device=device)


def _pl_term(loss, device):
    from ganforge.train.terms import PathLengthMean

    return PathLengthMean(loss.pl_decay, device)


REGULARIZERS.register("r1", Regularizer("r1", "D", _r1, 10.0, 16, scale=0.5, description="R1 on reals"))
REGULARIZERS.register("r2", Regularizer("r2", "D", _r2, 10.0, 16, scale=0.5, description="R2 on fakes"))
REGULARIZERS.register("r1r2", Regularizer("r1r2", "D", _r1r2, 10.0, 0, scale=0.5,
                                          description="R1 on reals + R2 on fakes, one gamma (R3GAN)"))
REGULARIZERS.register("wgan_gp", Regularizer("wgan_gp", "D", _wgan_gp, 10.0, 0, description="WGAN-GP interpolates"))
REGULARIZERS.register("dragan", Regularizer("dragan", "D", _dragan(False), 10.0, 0, description="DRAGAN"))
REGULARIZERS.register("dragan1", Regularizer("dragan1", "D", _dragan(True), 10.0, 0, description="one-sided DRAGAN"))
REGULARIZERS.register("drift", Regularizer("drift", "D", _drift, 0.001, 0,
                                           description="ProGAN epsilon drift on real logits"))
REGULARIZERS.register("lecam", Regularizer("lecam", "D", _lecam, 0.3, 0, term=_lecam_term, description="LeCam"))
REGULARIZERS.register("pl", Regularizer("pl", "G", _path_length, 2.0, 4, needs_mapping=True, term=_pl_term,
                                        description="StyleGAN2 path length"))


@dataclass(frozen=True)
class ActiveReg:
    """A resolved regulariser of a run: the registered term with its weight and interval (0 = eager)."""

    reg: Regularizer
    weight: float
    interval: int

    @property
    def name(self) -> str:
        return self.reg.name

    @property
    def lazy(self) -> bool:
        return self.interval > 0


def resolve_regs(configs: list[RegConfig] | tuple[RegConfig, ...]) -> tuple[ActiveReg, ...]:
    """Defaults filled in, zero weights dropped, one entry per name (a repeated name is a ``ValueError``)."""
    seen, active = set(), []
    for cfg in configs:
        if cfg.name in seen:
            raise ValueError(f"regulariser {cfg.name!r} is given twice (e.g. --gamma and --reg r1)")
        seen.add(cfg.name)
        reg = get_regularizer(cfg.name)
        weight = reg.default_weight if cfg.weight is None else cfg.weight
        interval = reg.default_interval if cfg.interval is None else cfg.interval
        if weight > 0:
            active.append(ActiveReg(reg, float(weight), int(interval)))
    return tuple(active)


def training_regs(*, r1_gamma: float, r1_interval: int | None, pl_weight: float, pl_interval: int | None,
                  extra: tuple[RegConfig, ...] = (), implied: str | None = None,
                  has_mapping: bool = True) -> tuple[ActiveReg, ...]:
    """The regularisers of a training run: the official R1 (``--gamma``, ``--r1-interval``) and path length
    (``--pl-weight``, ``--pl-interval``; only for a G with a mapping network), then ``extra`` (``--reg``), then the one
    the loss implies (``wgan-gp`` -> ``wgan_gp``) unless given. Interval ``None`` = every step (0)."""
    configs = []
    if r1_gamma > 0 and not any(c.name == "r1" for c in extra):
        configs.append(RegConfig("r1", r1_gamma, r1_interval or 0))
    if pl_weight > 0 and has_mapping and not any(c.name == "pl" for c in extra):
        configs.append(RegConfig("pl", pl_weight, pl_interval or 0))
    configs += list(extra)
    if implied is not None and not any(c.name == implied for c in configs):
        configs.append(RegConfig(implied))
    regs = resolve_regs(configs)
    for reg in regs:
        if reg.reg.needs_mapping and not has_mapping:
            raise ValueError(f"regulariser {reg.name!r} needs a generator with a mapping network (StyleGAN2)")
    return regs
