"""ADA in the training loop: validate the ``--aug`` options, build the augmentation, update ``p`` from D's real logits.

The loop owns one :class:`AdaTuner`. ``observe(state, out.stats)`` after every D round adds the signs of the real
logits (``Loss/scores/real``, summed over processes) to ``state.ada_acc``; ``step(state, stats)`` after every
minibatch computes, every ``ada_interval`` minibatches, ``r_t = E[sign(D(real))]`` and moves ``state.augment_p``
with :func:`ganforge.augment.ada_adjust`. ``p`` and the accumulator live in ``TrainState`` so that a checkpoint
(and a resume) carries them exactly.
"""

from __future__ import annotations

import math

import torch

from ganforge.augment import AUG_MODES, accumulate_signs, ada_adjust, augpipe_spec, build_augment, overfit_heuristic
from ganforge.augment.diffaugment import POLICIES
from ganforge.train.distributed import DistEnv


def check_aug_options(cfg) -> None:
    """``ValueError`` naming the flag for any bad augmentation / transfer option of a ``TrainConfig``."""
    if cfg.aug not in AUG_MODES:
        raise ValueError(f"--aug must be one of {', '.join(AUG_MODES)}, got {cfg.aug!r}")
    if not 0 <= cfg.aug_p <= 1:
        raise ValueError(f"--p must be in [0, 1], got {cfg.aug_p}")
    if not -1 <= cfg.ada_target <= 1:
        raise ValueError(f"--target must be in [-1, 1] (a mean of signs), got {cfg.ada_target}")
    if cfg.ada_interval < 1:
        raise ValueError(f"ada_interval must be >= 1, got {cfg.ada_interval}")
    if not cfg.ada_kimg > 0:
        raise ValueError(f"--ada-kimg must be > 0, got {cfg.ada_kimg}")
    augpipe_spec(cfg.augpipe)  # unknown preset -> ValueError listing the known ones
    for name in cfg.diffaug_policy.split(","):
        if name.strip():
            POLICIES.get(name.strip())
    if cfg.freezed < 0:
        raise ValueError(f"--freezed must be >= 0, got {cfg.freezed}")
    if not cfg.mapping_lr_mult > 0:
        raise ValueError(f"--map-lr-mult must be > 0, got {cfg.mapping_lr_mult}")


def build_run_augment(cfg, device: torch.device) -> torch.nn.Module | None:
    """The augmentation module of a run (``None`` for ``--aug noaug``)."""
    return build_augment(cfg.aug, augpipe=cfg.augpipe, p=cfg.aug_p, diffaug_policy=cfg.diffaug_policy, device=device)


class AdaTuner:
    """Tunes the pipeline's ``p`` (``--aug ada``); for the other modes it only keeps ``p`` in sync with the state."""

    def __init__(self, cfg, augment: torch.nn.Module | None, env: DistEnv):
        self.cfg = cfg
        self.augment = augment
        self.env = env
        self.adaptive = cfg.aug == "ada"

    def attach(self, state) -> None:
        """Set the pipeline's p from ``state.augment_p`` (the start value or the value of a resumed run)."""
        if hasattr(self.augment, "set_p"):
            self.augment.set_p(state.augment_p)

    def observe(self, state, stats: dict[str, torch.Tensor]) -> None:
        """Add the signs of this D round's real logits to ``state.ada_acc`` (summed over processes)."""
        if not self.adaptive or "Loss/scores/real" not in stats:
            return
        acc = accumulate_signs(torch.zeros([2], dtype=torch.float64, device=stats["Loss/scores/real"].device),
                               stats["Loss/scores/real"])
        if self.env.is_distributed:
            import torch.distributed as dist

            dist.all_reduce(acc)
        state.ada_acc = state.ada_acc.to(acc.device) + acc

    def step(self, state, tick_stats) -> None:
        """After minibatch ``state.batch_idx`` (already incremented): update p every ``ada_interval`` minibatches."""
        if not self.adaptive or state.batch_idx % self.cfg.ada_interval:
            return
        r_t = overfit_heuristic(state.ada_acc)
        state.ada_acc = torch.zeros_like(state.ada_acc)
        if math.isnan(r_t):
            return
        state.augment_p = ada_adjust(state.augment_p, r_t, target=self.cfg.ada_target, batch=self.cfg.batch,
                                     interval=self.cfg.ada_interval, ada_kimg=self.cfg.ada_kimg)
        self.augment.set_p(state.augment_p)
        tick_stats.report("Augment/rt", r_t)
