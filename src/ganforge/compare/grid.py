"""The comparison grid: which runs (model x loss x regulariser) and with which shared training options.

A :class:`CompareConfig` names the dataset, the budget and the axes; :func:`expand` turns it into :class:`RunSpec`
entries (the full product of ``models x losses x regs``, plus the ``extra`` product when a preset asks for one), and
:func:`train_config` makes each entry a ``TrainConfig`` for the ordinary ``train()`` loop. Presets are data:
``assignment`` is the course assignment (DCGAN-CSP vs DCGAN-ResNet, several losses and regularisers).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from ganforge.config import Config
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.regularizers import RegConfig, parse_reg
from ganforge.models import list_models
from ganforge.registry import Registry
from ganforge.train.config import TrainConfig

NO_REG = "none"


@dataclass(frozen=True)
class CompareConfig(Config):
    """A comparison: axes, shared training options and the metrics of the report."""

    data: str = ""
    """Dataset folder or zip (``ganforge dataset``); the preset's default when empty."""
    outdir: str = "runs/compare"
    """Folder of the runs (one sub-folder each), ``results.json`` and ``report.md``."""
    models: tuple[str, ...] = ("dcgan-csp", "dcgan-resnet")
    losses: tuple[str, ...] = ("nonsaturating",)
    regs: tuple[str, ...] = (NO_REG,)
    """Regulariser specs ``name[:weight[:interval]]`` or ``none``."""
    extra_models: tuple[str, ...] = ()
    extra_losses: tuple[str, ...] = ()
    extra_regs: tuple[str, ...] = ()
    """A second product added to the grid (a preset uses it to vary regularisers on one loss only)."""
    kimg: float = 10.0
    """Training length of every run."""
    batch: int = 32
    channel_base: int = 512
    channel_max: int = 128
    g_lr: float = 0.0002
    d_lr: float = 0.0002
    ema_kimg: float = 1.0
    tick_kimg: float = 1.0
    snapshot_ticks: int = 0
    """Checkpoint every N ticks (0 = only at the end)."""
    curve_metric: str | None = "swd1k"
    """Metric evaluated during training every ``metric_ticks`` ticks (the metric curves); None = off."""
    metric_ticks: int = 4
    final_metrics: tuple[str, ...] = ("rfid500",)
    """Metrics of the final G_ema of each run (besides the curve metric's last value); ``fid*`` needs Inception weights."""
    seed: int = 0
    device: str = "cpu"
    num_threads: int | None = 1
    progress: bool = True

    def __post_init__(self) -> None:
        for model in self.models + self.extra_models:
            if model not in list_models():
                raise ValueError(f"compare: unknown model {model!r}; known: {', '.join(list_models())}")
        for loss in self.losses + self.extra_losses:
            get_adversarial_loss(loss)
        for reg in self.regs + self.extra_regs:
            if reg != NO_REG:
                parse_reg(reg)
        if self.kimg <= 0 or self.batch < 1:
            raise ValueError(f"compare: kimg must be > 0 and batch >= 1, got {self.kimg} and {self.batch}")


@dataclass(frozen=True)
class RunSpec:
    """One cell of the grid."""

    model: str
    loss: str
    reg: str = NO_REG

    @property
    def name(self) -> str:
        """Folder-safe run name, e.g. ``dcgan-csp_hinge_r1-0.1``."""
        reg = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.reg)
        return f"{self.model}_{self.loss}_{reg}"


def expand(cc: CompareConfig) -> list[RunSpec]:
    """The runs of ``cc`` in order: ``models x losses x regs``, then the extra product; duplicates dropped."""
    specs = [RunSpec(m, l, r) for m, l, r in itertools.product(cc.models, cc.losses, cc.regs)]
    if cc.extra_models or cc.extra_losses or cc.extra_regs:
        specs += [RunSpec(m, l, r) for m, l, r in itertools.product(cc.extra_models or cc.models,
                                                                     cc.extra_losses or cc.losses,
                                                                     cc.extra_regs or cc.regs)]
    return list(dict.fromkeys(specs))


def train_config(cc: CompareConfig, spec: RunSpec) -> TrainConfig:
    """The ``TrainConfig`` of one run: the model family from the registry, the loss, the regulariser, shared budget.
    Without an R1 entry a run has no R1 (weight 0); an R1 entry without a weight uses gamma 10, lazily every 16."""
    regs = [] if spec.reg == NO_REG else [parse_reg(spec.reg)]
    if not any(r.name == "r1" for r in regs):
        regs.insert(0, RegConfig("r1", 0.0, 16))
    regs = [replace(r, weight=10.0 if r.weight is None else r.weight, interval=16 if r.interval is None else r.interval)
            if r.name == "r1" else r for r in regs]
    return TrainConfig.from_dict({
        "data": {"path": cc.data},
        "model": {"family": spec.model, "overrides": {"channel_base": cc.channel_base, "channel_max": cc.channel_max}},
        "loss": {"adversarial": spec.loss, "regs": [r.to_dict() for r in regs]},
        "optim": {"G": {"lr": cc.g_lr}, "D": {"lr": cc.d_lr}, "ema_kimg": cc.ema_kimg},
        "metrics": {"names": [cc.curve_metric] if cc.curve_metric else [], "ticks": cc.metric_ticks},
        "run": {"outdir": f"{cc.outdir}/{spec.name}", "kimg": cc.kimg, "batch": cc.batch, "tick_kimg": cc.tick_kimg,
                "snapshot_ticks": cc.snapshot_ticks, "image_ticks": 1, "keep_checkpoints": 1, "grid_size": 6,
                "seed": cc.seed, "device": cc.device, "num_threads": cc.num_threads, "progress": False,
                "tensorboard": True},
    })


PRESETS: Registry[CompareConfig] = Registry("compare preset")
PRESETS.register("assignment", CompareConfig(
    outdir="runs/compare-assignment",
    models=("dcgan-csp", "dcgan-resnet"), losses=("nonsaturating", "hinge", "wgan-gp"), regs=(NO_REG,),
    extra_losses=("nonsaturating",), extra_regs=("r1:0.2:16", "lecam:0.1"),
    kimg=8.0, batch=16, channel_base=512, channel_max=128, g_lr=0.0004, d_lr=0.0004, tick_kimg=1.0,
    curve_metric="swd0.5k", metric_ticks=4, final_metrics=("rfid64",),
))
"""Budgeted for a 2-core CPU shared with other work (2-3 minutes a run, 10 runs): small nets (16-128 channels), 8 kimg
each; SWD on 500 images every 4 kimg and at the end, rFID on 64 images at the end (weight-free Inception, strongly
biased at this size: compare runs with each other only). Scale ``--kimg``, ``--cbase``, ``--final-metrics`` up on a
GPU."""


def from_preset(name: str | None, **overrides) -> CompareConfig:
    """The preset ``name`` (or the defaults) with ``overrides`` (``None`` values ignored)."""
    base = PRESETS.get(name) if name else CompareConfig()
    return replace(base, **{k: v for k, v in overrides.items() if v is not None})
