"""ADA in the training loop: validate the ``--aug`` options, build the augmentation, update ``p`` from D's real logits.

The loop owns one :class:`AdaTuner`. ``observe(out.stats)`` after every D round adds the signs of the real logits
(``Loss/scores/real``, summed over processes) to the accumulator; ``step(batch_idx, stats)`` after every minibatch
computes, every ``interval`` minibatches, ``r_t = E[sign(D(real))]`` and moves ``p`` with
:func:`ganforge.augment.ada_adjust`. ``p`` and the accumulator live in the ``ada`` training term
(train/terms.py ``AdaState``), so that a checkpoint (and a resume) carries them exactly.
"""

from __future__ import annotations

import math

import torch

from ganforge.augment import AUG_MODES, accumulate_signs, ada_adjust, augpipe_spec, build_augment, overfit_heuristic
from ganforge.augment.diffaugment import POLICIES
from ganforge.train.distributed import DistEnv


def check_aug_options(aug) -> None:
    """``ValueError`` naming the flag for any bad option of an ``AugmentSection`` (the one place they are checked)."""
    if aug.mode not in AUG_MODES:
        raise ValueError(f"--aug must be one of {', '.join(AUG_MODES)}, got {aug.mode!r}")
    if not 0 <= aug.p <= 1:
        raise ValueError(f"--p must be in [0, 1], got {aug.p}")
    if not -1 <= aug.target <= 1:
        raise ValueError(f"--target must be in [-1, 1] (a mean of signs), got {aug.target}")
    if aug.interval < 1:
        raise ValueError(f"the ADA interval must be >= 1, got {aug.interval}")
    if not aug.speed_kimg > 0:
        raise ValueError(f"--ada-kimg must be > 0, got {aug.speed_kimg}")
    augpipe_spec(aug.pipe)  # unknown preset -> ValueError listing the known ones
    for name in aug.diffaug_policy.split(","):
        if name.strip():
            POLICIES.get(name.strip())


def build_run_augment(aug, device: torch.device) -> torch.nn.Module | None:
    """The augmentation module of a run (``None`` for ``--aug noaug``)."""
    return build_augment(aug.mode, augpipe=aug.pipe, p=aug.p, diffaug_policy=aug.diffaug_policy, device=device)


class AdaTuner:
    """Moves the ADA term's ``p`` (``--aug ada``) and keeps the pipeline's ``p`` equal to it in every mode (the term
    is the one home of p; the pipeline only reads it)."""

    def __init__(self, aug, batch: int, augment: torch.nn.Module | None, env: DistEnv, ada):
        self.aug = aug
        self.batch = batch
        self.augment = augment
        self.env = env
        self.ada = ada
        self.adaptive = aug.mode == "ada"

    def attach(self) -> None:
        """Set the pipeline's p from the term (the start value or the value of a resumed run)."""
        self.set_p(self.ada.p)

    def set_p(self, p: float) -> None:
        """Set p (a schedule of ``augment.p`` with ``--aug fixed``) in the term and the pipeline."""
        self.ada.p = float(p)
        if self.augment is not None and hasattr(self.augment, "set_p"):
            self.augment.set_p(self.ada.p)

    def observe(self, stats: dict[str, torch.Tensor]) -> None:
        """Add the signs of this D round's real logits to the accumulator (summed over processes)."""
        if not self.adaptive or "Loss/scores/real" not in stats:
            return
        acc = accumulate_signs(torch.zeros([2], dtype=torch.float64, device=stats["Loss/scores/real"].device),
                               stats["Loss/scores/real"])
        if self.env.is_distributed:
            import torch.distributed as dist

            dist.all_reduce(acc)
        self.ada.acc = self.ada.acc.to(acc.device) + acc

    def step(self, batch_idx: int, tick_stats) -> None:
        """After minibatch ``batch_idx`` (already incremented): update p every ``aug.interval`` minibatches."""
        if not self.adaptive or batch_idx % self.aug.interval:
            return
        r_t = overfit_heuristic(self.ada.acc)
        self.ada.acc = torch.zeros_like(self.ada.acc)
        if math.isnan(r_t):
            return
        self.set_p(ada_adjust(self.ada.p, r_t, target=self.aug.target, batch=self.batch, interval=self.aug.interval,
                              ada_kimg=self.aug.speed_kimg))
        tick_stats.report("Augment/rt", r_t)
