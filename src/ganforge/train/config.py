"""``TrainConfig``: every option of a training run, resolved and saved next to every checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ganforge.config import Config
from ganforge.losses.regularizers import RegConfig
from ganforge.models import model_config_from_dict


@dataclass(frozen=True)
class TrainConfig(Config):
    """A training run. Fields left ``None`` are filled from the preset named by ``cfg`` (see ``train/presets.py``)
    once the dataset and the number of processes are known; the resolved config has no ``None`` left in them."""

    data: str = ""
    """Dataset folder or zip (made by ``ganforge dataset``)."""
    outdir: str = "runs"
    """Parent folder of run folders (``outdir/00000-<dataset>-<cfg>``)."""
    run_dir: str | None = None
    """The run folder (set when the run starts; resume continues in it)."""
    cfg: str = "auto"
    """Preset name: auto, stylegan2, paper256, paper512, paper1024, cifar, small, cpu, dcgan (``auto`` picks dcgan for
    the DCGAN-family models)."""
    model: Any = None
    """Model config (dict or Config with a ``name``); ``None`` = built from the preset and the dataset."""
    channel_base: int | None = None
    """Overrides the preset's channel_base (``--cbase``) when the model is built from the preset."""
    channel_max: int | None = None
    """Overrides the preset's channel_max (``--cmax``)."""
    mapping_layers: int | None = None
    """Overrides the preset's mapping depth (``--map``)."""
    loss: str = "nonsaturating"
    """Adversarial loss, by registered name (``losses/adversarial.py``; docs/losses.md)."""
    model_name: str = "stylegan2"
    """Model family by registered name (``--model``: stylegan2, dcgan, dcgan-resnet, dcgan-csp) when ``model`` is None."""
    regs: tuple[RegConfig, ...] = ()
    """Regularisers besides R1 (``--gamma``) and path length (``--pl-weight``): ``--reg name:weight:interval``."""
    spectral_norm: bool = False
    """Spectral norm on D's weights (``--sn``; DCGAN-family models)."""
    cond: bool = False
    """Train a class-conditional model from the dataset labels."""
    mirror: bool = False
    """Add x-flipped copies of the dataset."""
    kimg: float | None = None
    """Training length in thousands of real images shown to D (None = the preset's)."""
    batch: int | None = None
    """Global batch size (all processes, all accumulation rounds)."""
    batch_gpu: int | None = None
    """Images per process per forward pass; batch / (batch_gpu * processes) rounds of gradient accumulation."""
    g_lr: float | None = None
    d_lr: float | None = None
    betas: tuple[float, float] = (0.0, 0.99)
    eps: float = 1e-8
    r1_gamma: float | None = None
    """R1 weight gamma (penalty gamma/2 * ||grad D(x)||^2)."""
    r1_interval: int | None = 16
    """Lazy R1 every N D steps (None = every step, no lazy correction)."""
    pl_weight: float = 2.0
    pl_interval: int | None = 4
    pl_batch_shrink: int = 2
    pl_decay: float = 0.01
    style_mixing_prob: float = 0.9
    ema_kimg: float | None = None
    """G_ema half-life in thousands of images."""
    ema_rampup: float | None = None
    """G_ema ramp-up: half-life at most cur_nimg * ema_rampup (None = off)."""
    tick_kimg: float = 4.0
    """Maintenance (log line, stats) every this many kimg."""
    image_ticks: int = 1
    """Sample grid every N ticks (0 = never)."""
    snapshot_ticks: int = 50
    """Checkpoint every N ticks (0 = only at the end)."""
    keep_checkpoints: int = 5
    """Keep the newest K checkpoints (0 = keep all)."""
    grid_size: int = 8
    """Sample grid is grid_size x grid_size images from fixed seeds."""
    seed: int = 0
    device: str = "auto"
    """'auto' (cuda if available, else cpu), 'cpu', 'cuda', 'cuda:1', ..."""
    num_threads: int | None = None
    """CPU threads for torch (None = torch's default)."""
    progress: bool = True
    """Show a progress bar."""
    tensorboard: bool = True
    metrics: tuple[str, ...] = ()
    """Metrics evaluated on G_ema during training (``--metrics swd1k,fid50k_full``; names in docs/metrics.md)."""
    metric_ticks: int | None = None
    """Evaluate the metrics every N ticks (``--metric-ticks``); ``None`` = with each snapshot. Always at the end."""
    inception: str | None = None
    """FID Inception weight file for fid/kid/is metrics (else ``$GANFORGE_INCEPTION``)."""
    vgg16: str | None = None
    """VGG16 weight file for pr/ppl metrics (else ``$GANFORGE_VGG16``)."""
    lpips: str | None = None
    """LPIPS heads file for ppl metrics (else ``$GANFORGE_LPIPS``)."""
    metrics_cache: str | None = None
    """Real-feature cache folder (else ``$GANFORGE_CACHE/metrics`` or ``~/.cache/ganforge/metrics``)."""
    aug: str = "noaug"
    """Discriminator augmentation (``--aug``): noaug, ada (p tuned from r_t), fixed (p = ``aug_p``), diffaug."""
    aug_p: float = 0.0
    """Initial (ada) or fixed augmentation probability (``--p``)."""
    augpipe: str = "bgc"
    """ADA op preset (``--augpipe``): blit, geom, color, filter, noise, cutout, bg, bgc, bgcf, bgcfn, bgcfnc."""
    ada_target: float = 0.6
    """ADA target of the overfitting heuristic r_t = E[sign(D(real))] (``--target``)."""
    ada_interval: int = 4
    """Update p every this many D steps."""
    ada_kimg: float = 500.0
    """ADA speed: p can go from 0 to 1 in this many kimg (``--ada-kimg``)."""
    diffaug_policy: str = "color,translation,cutout"
    """DiffAugment policies for ``--aug diffaug`` (``--diffaug-policy``)."""
    resume_from: str | None = None
    """Transfer learning: start a new run from the weights of this checkpoint (.safetensors, .pkl, .pt)."""
    freezed: int = 0
    """Freeze-D: the N highest-resolution D blocks keep their weights (``--freezed``)."""
    mapping_lr_mult: float = 1.0
    """Adam learning-rate multiplier of G's mapping network (transfer learning), on top of the model's own
    equalized-lr ``mapping_lr_multiplier``."""

    def __post_init__(self) -> None:
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", model_config_from_dict(self.model))
        elif self.model is not None and not isinstance(self.model, Config):
            raise ValueError(f"TrainConfig.model must be a model config or a dict, got {type(self.model).__name__}")
        if self.kimg is not None and self.kimg <= 0:
            raise ValueError(f"--kimg must be > 0, got {self.kimg}")
        for name in ("batch", "batch_gpu"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, got {value}")
        if self.batch is not None and self.batch_gpu is not None and self.batch % self.batch_gpu:
            raise ValueError(f"--batch {self.batch} must be a multiple of --batch-gpu {self.batch_gpu}")
        if not 0 <= self.style_mixing_prob <= 1:
            raise ValueError(f"style_mixing_prob must be in [0, 1], got {self.style_mixing_prob}")
        if self.pl_batch_shrink < 1:
            raise ValueError(f"pl_batch_shrink must be >= 1, got {self.pl_batch_shrink}")
        if self.tick_kimg <= 0:
            raise ValueError(f"tick_kimg must be > 0, got {self.tick_kimg}")
        if self.metrics:
            from ganforge.metrics.names import parse_metric_list

            parse_metric_list(self.metrics)
        from ganforge.train.ada import check_aug_options

        check_aug_options(self)

    @property
    def is_resolved(self) -> bool:
        """True when every preset-dependent field has a value."""
        fields = ("model", "kimg", "batch", "batch_gpu", "g_lr", "d_lr", "r1_gamma", "ema_kimg")
        return all(getattr(self, name) is not None for name in fields)
