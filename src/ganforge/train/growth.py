"""Progressive growing in training: the ``growth`` term moves G, D and G_ema along the run's ``growth`` schedule and
shows D the reals at the current stage.

Before every minibatch the loop calls :meth:`GrowthTerm.advance` with ``cur_nimg``: the level is the schedule's value
(kind ``grow``, clamped to the networks' stages) and is set on all three networks; the reals are box-downsampled and
blended as the fakes are (``models.growing.blend_reals``). When a fade-in starts or ends (the floor or the ceiling of
the level changes) both Adam states are reset, as the paper's implementation does (new layers start with no moments,
and the old ones do not carry moments of a smaller network into the new one). The level is checkpointed as a term
(``state["terms"]["growth"]``) and in the networks' ``growth_level`` buffers, so a run resumed mid-fade continues
bit-exactly and ``generate`` knows the stage of any snapshot. With ``--stage-batch`` the global batch follows the
stage (:meth:`GrowthTerm.batch_at`); images are counted as shown, so the schedule stays in images.
"""

from __future__ import annotations

import math

import torch

from ganforge.models.growing import Growable, blend_reals, stage_of
from ganforge.train.distributed import DistEnv


class GrowthTerm:
    """The growth level of a run (a :class:`~ganforge.train.terms.TrainingTerm`)."""

    name = "growth"

    def __init__(self, nets, optimizers: list[torch.optim.Optimizer], hp,
                 stage_batch: dict[int, int] | None = None) -> None:
        for label, net in (("G", nets.G), ("D", nets.D)):
            if not (isinstance(net, Growable) and net.growing):
                raise ValueError(f"--growing: the {'generator' if label == 'G' else 'discriminator'} "
                                 f"({type(net).__module__}) does not grow; growing needs a growing D (--d progan)")
        if nets.G.growth_resolutions != nets.D.growth_resolutions:
            raise ValueError(f"--growing: G's stages {nets.G.growth_resolutions} differ from D's "
                             f"{nets.D.growth_resolutions}")
        self.nets, self.optimizers, self.hp = nets, optimizers, hp
        self.max_level = float(len(nets.G.growth_resolutions) - 1)
        self.stage_batch = dict(stage_batch or {})
        unknown = sorted(set(self.stage_batch) - set(nets.G.growth_resolutions))
        if unknown:
            raise ValueError(f"--stage-batch: resolution(s) {unknown} are not growth stages "
                             f"({', '.join(map(str, nets.G.growth_resolutions))})")
        self.level: float | None = None
        self.resets = 0

    def level_at(self, cur_nimg: int) -> float:
        """The scheduled level after ``cur_nimg`` images, clamped to the stages."""
        return min(max(self.hp.value("growth", cur_nimg), 0.0), self.max_level)

    def batch_at(self, cur_nimg: int, default: int) -> int:
        """The global batch of the minibatch starting at ``cur_nimg`` (``--stage-batch``, else ``default``)."""
        stage = stage_of(self.level_at(cur_nimg), self.nets.G.growth_resolutions)
        return self.stage_batch.get(stage.resolution, default)

    def advance(self, cur_nimg: int, real_img: torch.Tensor | None = None) -> torch.Tensor | None:
        """Set the level of ``cur_nimg`` on the networks (resetting Adam at a stage boundary); the reals at it."""
        level = self.level_at(cur_nimg)
        if self.level is not None and (math.floor(level) != math.floor(self.level)
                                       or math.ceil(level) != math.ceil(self.level)):
            for opt in self.optimizers:
                opt.state.clear()
            self.resets += 1
        self._set(level)
        return None if real_img is None else blend_reals(real_img, self.nets.G.stage)

    def _set(self, level: float) -> None:
        self.level = level
        for net in (self.nets.G, self.nets.D, self.nets.G_ema):
            net.set_growth_level(level)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"level": torch.tensor(-1.0 if self.level is None else self.level, dtype=torch.float64)}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        level = float(torch.as_tensor(state["level"]))
        if level >= 0:
            self._set(level)

    def update(self, outputs, env: DistEnv) -> dict[str, torch.Tensor]:
        return {}  # the level follows cur_nimg (advance), not the phases' outputs

    def tick_stats(self) -> dict[str, float]:
        """The stage at the end of a tick (TensorBoard ``Progress/resolution``, ``Progress/fade_alpha``)."""
        stage = self.nets.G.stage
        return {"Progress/resolution": float(stage.resolution), "Progress/fade_alpha": stage.alpha,
                "Progress/optimizer_resets": float(self.resets)}
