"""The run's hyper-parameters at ``cur_nimg``: base values from the resolved config, or their schedule.

:class:`HyperParams` answers ``value(target, cur_nimg)`` for every schedule target of the run; the loop asks it
before each minibatch and sets the optimisers' lr and betas (with the lazy-regularisation correction, in
:func:`set_optimizer_hparams` only), the objective's penalty weights and blur sigma, the EMA half-life and a fixed
augmentation p. Constant hyper-parameters give exactly the config's values, so a run without schedules computes what
it computed before schedules existed.
"""

from __future__ import annotations

import torch

from ganforge.models import get_family, list_models
from ganforge.train.phases import lazy_reg_hparams
from ganforge.train.schedules import TARGETS, check_targets


def run_grows(cfg) -> bool:
    """Whether the (resolved) run grows progressively: a family that can (``FamilySpec.grows``) with ``--growing``."""
    return get_family(cfg.model.family).grows and cfg.model.arch is not None and bool(cfg.model.arch.growing)


def schedule_targets(cfg) -> list[str]:
    """Every target a schedule of this (resolved) run may name."""
    regs = [f"reg.{r.name}" for r in cfg.loss.regs if r.weight is None or r.weight > 0]
    growth = ["growth"] if run_grows(cfg) else []
    return [*TARGETS, *regs, *growth, *get_family(cfg.model.family).schedule_targets]


def check_schedules(cfg) -> None:
    """``ValueError`` for a schedule of an unknown target (listing the valid ones) or one the run cannot follow."""
    if any(s.target == "growth" for s in cfg.schedules) and not run_grows(cfg):
        raise ValueError("a schedule of growth needs --growing (and a model family that grows: "
                         + ", ".join(n for n in list_models() if get_family(n).grows) + ")")
    check_targets(cfg.schedules, schedule_targets(cfg))
    if any(s.target == "augment.p" for s in cfg.schedules) and cfg.augment.mode != "fixed":
        raise ValueError("a schedule of augment.p needs --aug fixed (--aug ada tunes p itself)")


class HyperParams:
    """Scheduled or constant values of a resolved ``TrainConfig``."""

    def __init__(self, cfg) -> None:
        o = cfg.optim
        self.base = {"G.lr": o.G.lr, "D.lr": o.D.lr, "G.beta2": o.G.betas[1], "D.beta2": o.D.betas[1],
                     "ema_kimg": o.ema_kimg, "augment.p": cfg.augment.p, "blur_sigma": 0.0, "growth": 0.0,
                     **{f"reg.{r.name}": r.weight for r in cfg.loss.regs}}
        self.beta1 = {"G": o.G.betas[0], "D": o.D.betas[0]}
        self.schedules = {s.target: s for s in cfg.schedules}

    def is_scheduled(self, target: str) -> bool:
        return target in self.schedules

    def value(self, target: str, cur_nimg: int) -> float:
        """The value of ``target`` after ``cur_nimg`` images."""
        base = self.base.get(target)
        schedule = self.schedules.get(target)
        if schedule is None:
            if base is None:
                raise ValueError(f"unknown hyper-parameter {target!r}; known: {', '.join(sorted(self.base))}")
            return base
        return schedule.value(cur_nimg, 0.0 if base is None else base)

    def adam(self, net: str, cur_nimg: int) -> tuple[float, tuple[float, float]]:
        """``(lr, (beta1, beta2))`` of network ``net`` before the lazy-regularisation correction."""
        return self.value(f"{net}.lr", cur_nimg), (self.beta1[net], self.value(f"{net}.beta2", cur_nimg))


def set_optimizer_hparams(opt: torch.optim.Optimizer, lr: float, betas: tuple[float, float],
                          reg_intervals: tuple[int, ...], lr_mults: list[float]) -> None:
    """Set every parameter group's lr (times its multiplier) and betas, corrected for lazy regularisation."""
    lr, betas, _ = lazy_reg_hparams(lr, betas, reg_intervals)
    for group, mult in zip(opt.param_groups, lr_mults):
        group["lr"] = lr * mult if mult != 1 else lr
        group["betas"] = betas
