"""``TrainConfig``: every option of a training run in typed sections, resolved and saved next to every checkpoint.

Sections: ``data``, ``model`` (family + that family's typed config + discriminator), ``loss`` (adversarial loss +
regulariser entries, R1 and path length among them), ``augment``, ``optim`` (per network), ``schedules``, ``metrics``,
``transfer``, ``run``. Fields left ``None`` are filled by :func:`ganforge.train.presets.resolve_config` from the preset
named by ``cfg``, the model family and the dataset; the resolved config has no ``None`` left in them. Configs written
by earlier versions (one flat object) load through :func:`ganforge.train.migrate.migrate_config`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ganforge.config import Config
from ganforge.losses.regularizers import RegConfig
from ganforge.models.base import ModelSection
from ganforge.train.schedules import Schedule


@dataclass(frozen=True)
class DataSection(Config):
    path: str = ""
    """Dataset folder or zip (made by ``ganforge dataset``; ``--data``)."""
    cond: bool = False
    """Train a class-conditional model from the dataset labels (``--cond``)."""
    mirror: bool = False
    """Add x-flipped copies of the dataset (``--mirror``)."""
    fingerprint: str | None = None
    """What identifies the dataset (``ImageDataset.fingerprint``), recorded when the run starts; a resume checks it."""


@dataclass(frozen=True)
class LossSection(Config):
    adversarial: str | None = None
    """Adversarial loss by registered name (``--loss``; docs/losses.md); ``None`` = the discriminator's
    ``default_loss`` (the projected D: hinge), else ``nonsaturating`` (filled by ``resolve_config``)."""
    regs: tuple[RegConfig, ...] = ()
    """Regularisers in evaluation order. Resolved: R1, path length (families with a mapping network), the ``--reg``
    entries in the order given, then the term the loss implies (``wgan-gp`` -> ``wgan_gp``)."""
    style_mixing_prob: float = 0.9
    """Style-mixing probability (``--mixing``; generators with a mapping network)."""
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01

    def __post_init__(self) -> None:
        from ganforge.losses.adversarial import get_adversarial_loss

        if self.adversarial is not None:
            get_adversarial_loss(self.adversarial)
        if not 0 <= self.style_mixing_prob <= 1:
            raise ValueError(f"--mixing must be in [0, 1], got {self.style_mixing_prob}")
        if self.pl_batch_shrink < 1:
            raise ValueError(f"pl_batch_shrink must be >= 1, got {self.pl_batch_shrink}")
        names = [r.name for r in self.regs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"regulariser {twice[0]!r} is given twice (e.g. --gamma and --reg r1)")

    def entry(self, name: str) -> RegConfig | None:
        return next((r for r in self.regs if r.name == name), None)


@dataclass(frozen=True)
class AugmentSection(Config):
    mode: str = "noaug"
    """``--aug``: noaug, ada (p tuned from r_t), fixed (p = ``p``), diffaug."""
    p: float = 0.0
    """Initial (ada) or fixed probability (``--p``)."""
    pipe: str = "bgc"
    """ADA op preset (``--augpipe``)."""
    target: float = 0.6
    """ADA target of r_t = E[sign(D(real))] (``--target``)."""
    interval: int = 4
    """ADA updates p every this many minibatches."""
    speed_kimg: float = 500.0
    """ADA speed: p can go from 0 to 1 in this many kimg (``--ada-kimg``)."""
    diffaug_policy: str = "color,translation,cutout"

    def __post_init__(self) -> None:
        from ganforge.train.ada import check_aug_options

        check_aug_options(self)


@dataclass(frozen=True)
class AdamConfig(Config):
    lr: float | None = None
    """Learning rate (``--glr`` / ``--dlr``); ``None`` = the preset's."""
    betas: tuple[float, float] | None = None
    """Adam (beta1, beta2); ``None`` = the preset's (StyleGAN2: (0, 0.99))."""
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.lr is not None and not self.lr > 0:
            raise ValueError(f"learning rate must be > 0, got {self.lr}")


@dataclass(frozen=True)
class OptimSection(Config):
    G: AdamConfig = field(default_factory=AdamConfig)
    D: AdamConfig = field(default_factory=AdamConfig)
    ema_kimg: float | None = None
    """G_ema half-life in thousands of images (``--ema``)."""
    ema_rampup: float | None = None
    """G_ema ramp-up: half-life at most cur_nimg * ema_rampup; ``None`` = off (after resolution)."""


@dataclass(frozen=True)
class MetricsSection(Config):
    names: tuple[str, ...] = ()
    """Metrics evaluated on G_ema during training (``--metrics``; docs/metrics.md)."""
    ticks: int | None = None
    """Evaluate every N ticks (``--metric-ticks``); ``None`` = with each snapshot. Always at the end."""
    inception: str | None = None
    vgg16: str | None = None
    lpips: str | None = None
    cache: str | None = None

    def __post_init__(self) -> None:
        if self.names:
            from ganforge.metrics.names import parse_metric_list

            parse_metric_list(self.names)


@dataclass(frozen=True)
class TransferSection(Config):
    resume_from: str | None = None
    """Start a new run from the weights of this checkpoint (.safetensors, .pkl, .pt) (``--resume-from``)."""
    freezed: int = 0
    """Freeze-D: the N highest-resolution D blocks keep their weights (``--freezed``)."""
    mapping_lr_mult: float = 1.0
    """Adam lr multiplier of G's mapping network (``--map-lr-mult``)."""

    def __post_init__(self) -> None:
        if self.freezed < 0:
            raise ValueError(f"--freezed must be >= 0, got {self.freezed}")
        if not self.mapping_lr_mult > 0:
            raise ValueError(f"--map-lr-mult must be > 0, got {self.mapping_lr_mult}")


@dataclass(frozen=True)
class RunSection(Config):
    outdir: str = "runs"
    run_dir: str | None = None
    """The run folder (set when the run starts; resume continues in it)."""
    kimg: float | None = None
    """Training length in thousands of real images shown to D (``--kimg``)."""
    batch: int | None = None
    """Global batch size (all processes, all accumulation rounds)."""
    batch_gpu: int | None = None
    """Images per process per pass; batch / (batch_gpu * processes) rounds of gradient accumulation."""
    stage_batch: tuple[tuple[int, int], ...] = ()
    """With ``--growing``: the global batch at growth stages ``((resolution, batch), ...)`` (``--stage-batch
    4:64,8:64,16:32``, as the paper's per-resolution minibatch); stages not listed use ``batch``."""
    tick_kimg: float = 4.0
    image_ticks: int = 1
    snapshot_ticks: int = 50
    keep_checkpoints: int = 5
    grid_size: int = 8
    seed: int = 0
    device: str = "auto"
    num_threads: int | None = None
    progress: bool = True
    tensorboard: bool = True

    def __post_init__(self) -> None:
        if self.kimg is not None and not (self.kimg > 0 and math.isfinite(self.kimg)):
            raise ValueError(f"--kimg must be a finite number > 0, got {self.kimg}")
        for name in ("batch", "batch_gpu"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        if self.batch is not None and self.batch_gpu is not None and self.batch % self.batch_gpu:
            raise ValueError(f"--batch {self.batch} must be a multiple of --batch-gpu {self.batch_gpu}")
        for res, batch in self.stage_batch:
            if res < 4 or res & (res - 1) or batch < 1:
                raise ValueError(f"--stage-batch {res}:{batch}: expected RESOLUTION:BATCH with a power-of-two "
                                 "resolution >= 4 and a batch >= 1")
            if self.batch_gpu is not None and batch % self.batch_gpu:
                raise ValueError(f"--stage-batch {res}:{batch} must be a multiple of --batch-gpu {self.batch_gpu}")
        if not (self.tick_kimg > 0 and math.isfinite(self.tick_kimg)):
            raise ValueError(f"--tick must be a finite number > 0, got {self.tick_kimg}")
        for name, flag in (("image_ticks", "--img-snap"), ("snapshot_ticks", "--snap"), ("keep_checkpoints", "--keep")):
            if getattr(self, name) < 0:
                raise ValueError(f"{flag} must be >= 0, got {getattr(self, name)}")
        if not 1 <= self.grid_size <= 32:
            raise ValueError(f"--grid must be in [1, 32] (a grid of grid^2 images), got {self.grid_size}")
        if self.num_threads is not None and not 1 <= self.num_threads <= 1024:
            raise ValueError(f"--threads must be in [1, 1024], got {self.num_threads}")


@dataclass(frozen=True)
class TrainConfig(Config):
    """A training run, in sections (see the module docstring)."""

    cfg: str = "auto"
    """Preset name (``--cfg``; ``train/presets.py``); ``auto`` = the model family's default preset."""
    data: DataSection = field(default_factory=DataSection)
    model: ModelSection = field(default_factory=ModelSection)
    loss: LossSection = field(default_factory=LossSection)
    augment: AugmentSection = field(default_factory=AugmentSection)
    optim: OptimSection = field(default_factory=OptimSection)
    schedules: tuple[Schedule, ...] = ()
    """Hyper-parameters that follow a schedule of cur_nimg (``--schedule``; ``train/schedules.py``)."""
    metrics: MetricsSection = field(default_factory=MetricsSection)
    transfer: TransferSection = field(default_factory=TransferSection)
    run: RunSection = field(default_factory=RunSection)

    def __post_init__(self) -> None:
        from ganforge.train.schedules import check_targets

        seen = set()
        for s in self.schedules:
            if s.target in seen:
                check_targets(self.schedules, [])  # raises: given twice
            seen.add(s.target)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """From a sectioned dict, or from the flat dict of earlier versions (migrated first)."""
        from ganforge.train.migrate import migrate_config

        return super().from_dict(migrate_config(data))

    @classmethod
    def from_flat(cls, **values: Any) -> "TrainConfig":
        """From the flat field names of earlier versions (``r1_gamma=1, g_lr=0.002, kimg=4, ...``)."""
        from ganforge.train.migrate import migrate_flat

        return super().from_dict(migrate_flat(values))

    def __getattr__(self, name: str) -> Any:
        """Read access by the flat names of 0.x (``cfg.batch``, ``cfg.r1_gamma``, ``cfg.g_lr``, ...), for scripts
        written against them; ``data``, ``model``, ``loss`` and ``metrics`` are sections now."""
        from ganforge.train.migrate import legacy_value

        if name.startswith("__"):
            raise AttributeError(name)
        return legacy_value(self, name)

    @property
    def is_resolved(self) -> bool:
        """True when every preset-dependent field has a value."""
        o = self.optim
        values = (self.model.arch, self.loss.adversarial, self.run.kimg, self.run.batch, self.run.batch_gpu, o.G.lr, o.D.lr, o.G.betas,
                  o.D.betas, o.ema_kimg)
        return all(v is not None for v in values) and all(r.weight is not None and r.interval is not None
                                                           for r in self.loss.regs)
