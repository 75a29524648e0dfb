"""Everything the loop builds before the first step: dataset, config resolution, run folder, networks, phases.

Each function is one box of ``train()``; none of them trains.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from ganforge.data import ImageDataset, InfiniteSampler
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.objective import GANObjective
from ganforge.losses.regularizers import ActiveReg, training_regs
from ganforge.models import build_discriminator, build_generator
from ganforge.train import transfer
from ganforge.train.ada import build_run_augment
from ganforge.train.config import TrainConfig
from ganforge.train.distributed import DistEnv, broadcast_module
from ganforge.train.phases import Phase, lazy_reg_hparams, regularized_phases
from ganforge.train.presets import resolve_config


@dataclass
class Nets:
    """The three networks of a run (+ the state modules of stateful loss terms, checkpointed with them)."""

    G: torch.nn.Module
    D: torch.nn.Module
    G_ema: torch.nn.Module
    extra: dict[str, torch.nn.Module] = field(default_factory=dict)
    """State modules of regularisers by name (LeCam anchors), added by :func:`build_objective`."""

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema, **self.extra}


@dataclass
class PhaseRunner:
    """A phase with the module it trains, its optimizer and the parameters that optimizer owns."""

    phase: Phase
    module: torch.nn.Module
    opt: torch.optim.Optimizer
    params: list[torch.nn.Parameter] = field(default_factory=list)


@dataclass
class TrainState:
    """Progress counters and stateful terms; all of it goes into every checkpoint."""

    sampler: InfiniteSampler
    cur_nimg: int = 0
    cur_tick: int = 0
    batch_idx: int = 0
    tick_start_nimg: int = 0
    pl_mean: torch.Tensor = field(default_factory=lambda: torch.zeros([]))
    best_metric: float | None = None
    elapsed_sec: float = 0.0
    """Wall-clock training time of the run so far (all sessions)."""
    augment_p: float = 0.0
    """Current augmentation probability p (``--aug ada`` tunes it; see train/ada.py)."""
    ada_acc: torch.Tensor = field(default_factory=lambda: torch.zeros([2], dtype=torch.float64))
    """ADA accumulator since the last p update: (sum of sign(D(real)), count)."""

    def to_dict(self) -> dict:
        return {"cur_nimg": self.cur_nimg, "cur_tick": self.cur_tick, "batch_idx": self.batch_idx,
                "tick_start_nimg": self.tick_start_nimg, "pl_mean": self.pl_mean.detach().cpu(),
                "best_metric": self.best_metric, "elapsed_sec": self.elapsed_sec,
                "sampler": self.sampler.state_dict(), "augment_p": self.augment_p,
                "ada_acc": self.ada_acc.detach().cpu()}

    def load_dict(self, data: dict) -> None:
        for name in ("cur_nimg", "cur_tick", "batch_idx", "tick_start_nimg", "best_metric"):
            setattr(self, name, data[name])
        self.elapsed_sec = float(data.get("elapsed_sec", 0.0))
        self.pl_mean = torch.as_tensor(data["pl_mean"]).to(self.pl_mean.device, torch.float32)
        self.sampler.load_state_dict(data["sampler"])
        self.augment_p = float(data.get("augment_p", 0.0))
        if "ada_acc" in data:
            self.ada_acc = torch.as_tensor(data["ada_acc"], dtype=torch.float64).to(self.ada_acc.device)


def open_dataset(cfg: TrainConfig) -> ImageDataset:
    """The training set (labels when ``--cond``, doubled with x-flips when ``--mirror``)."""
    if not cfg.data:
        raise ValueError("--data is required: a dataset folder or zip made by 'ganforge dataset'")
    dataset = ImageDataset(cfg.data, use_labels=cfg.cond, xflip=cfg.mirror)
    if cfg.cond and dataset.label_dim == 0:
        raise ValueError(f"--cond needs labels, but {cfg.data} has none (make it with 'ganforge dataset --labels ...')")
    channels, height, width = dataset.image_shape
    if height != width or height & (height - 1) or height < 4:
        raise ValueError(f"{cfg.data}: images are {width}x{height}; StyleGAN2 needs square power-of-two images")
    return dataset


def resolve(cfg: TrainConfig, dataset: ImageDataset, env: DistEnv) -> TrainConfig:
    """The concrete config of the run (preset + dataset shape + process count)."""
    channels, resolution, _ = dataset.image_shape
    return resolve_config(cfg, resolution=resolution, img_channels=channels, c_dim=dataset.label_dim,
                          num_gpus=env.world_size)


def new_run_dir(cfg: TrainConfig, dataset_name: str) -> Path:
    """``outdir/NNNNN-<dataset>-<cfg>`` with the next free number (as the official run folders)."""
    outdir = Path(cfg.outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    ids = [int(m.group(1)) for p in outdir.iterdir() if (m := re.match(r"^(\d+)-", p.name)) and p.is_dir()]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{max(ids, default=-1) + 1:05d}-{dataset_name}-{cfg.cfg}")
    run_dir = outdir / name
    run_dir.mkdir()
    return run_dir


def write_config(cfg: TrainConfig, run_dir: Path) -> None:
    """The resolved config as ``config.json`` (every option, so the run can be repeated)."""
    text = json.dumps(cfg.to_dict(), indent=2) + "\n"
    tmp = run_dir / ".config.json.tmp"
    tmp.write_text(text)
    tmp.replace(run_dir / "config.json")


def build_nets(cfg: TrainConfig, env: DistEnv) -> Nets:
    """G, D and G_ema (a copy of G), seeded by ``cfg.seed``, identical on every process."""
    torch.manual_seed(cfg.seed)
    G = build_generator(cfg.model).train().requires_grad_(False).to(env.device)
    D = build_discriminator(cfg.model).train().requires_grad_(False).to(env.device)
    G_ema = copy.deepcopy(G).eval()
    for module in (G, D, G_ema):
        broadcast_module(module, env)
    return Nets(G=G, D=D, G_ema=G_ema)


def build_phases(cfg: TrainConfig, nets: Nets) -> list[PhaseRunner]:
    """Adam per network with the lazy-regularisation correction of lr and betas (STYLE rule 6); one phase per lazy
    regulariser interval of each network (see :func:`run_regs`)."""
    regs = run_regs(cfg, nets.G)
    phases, intervals = [], {}
    for name in ("G", "D"):
        mine = [r for r in regs if r.reg.module == name]
        intervals[name] = tuple(sorted({r.interval for r in mine if r.lazy}))
        phases += regularized_phases(name, intervals[name], eager=any(not r.lazy for r in mine))
    opts = {}
    for name, module, lr in (("G", nets.G, cfg.g_lr), ("D", nets.D, cfg.d_lr)):
        lr, betas, _ = lazy_reg_hparams(lr, cfg.betas, intervals[name])
        # one parameter group, unless transfer options split it (frozen D blocks, mapping lr multiplier)
        opts[name] = torch.optim.Adam(transfer.param_groups(name, module, cfg, lr), lr=lr, betas=betas, eps=cfg.eps)
    runners = []
    for phase in phases:
        module = nets.G if phase.module == "G" else nets.D
        runners.append(PhaseRunner(phase, module, opts[phase.module], transfer.trainable_params(phase.module, module, cfg)))
    return runners


def optimizers(runners: list[PhaseRunner]) -> dict[str, torch.optim.Optimizer]:
    """``{"G": opt, "D": opt}`` (each optimizer once)."""
    return {r.phase.module: r.opt for r in runners}


def run_regs(cfg: TrainConfig, G: torch.nn.Module | None = None) -> tuple[ActiveReg, ...]:
    """The run's regularisers (R1 from ``--gamma``, path length for a mapping-network G, ``--reg``, the loss's own)."""
    has_mapping = G is None or (hasattr(G, "mapping") and hasattr(G, "synthesis"))
    return training_regs(r1_gamma=cfg.r1_gamma, r1_interval=cfg.r1_interval, pl_weight=cfg.pl_weight,
                         pl_interval=cfg.pl_interval, extra=cfg.regs,
                         implied=get_adversarial_loss(cfg.loss).implied_reg, has_mapping=has_mapping)


def build_objective(cfg: TrainConfig, device: torch.device | str = "cpu", nets: Nets | None = None) -> GANObjective:
    """The objective, with the run's D augmentation (``--aug``; ``objective.augment`` is ``None`` for noaug), its
    regularisers, and style mixing when G has a mapping network. The state modules of stateful regularisers are put
    on ``device`` and into ``nets.extra`` (so that checkpoints hold them)."""
    G = nets.G if nets is not None else None
    regs = run_regs(cfg, G)
    state = {r.name: r.reg.stateful().to(device) for r in regs if r.reg.stateful is not None}
    if nets is not None:
        nets.extra.update(state)
    has_mapping = G is None or hasattr(G, "mapping")
    return GANObjective(
        adversarial=get_adversarial_loss(cfg.loss), regs=regs, pl_batch_shrink=cfg.pl_batch_shrink,
        pl_decay=cfg.pl_decay, style_mixing_prob=cfg.style_mixing_prob if has_mapping else 0.0, state=state,
        augment=build_run_augment(cfg, torch.device(device)),
    )


RESUMABLE_OPTIONS = ("kimg", "device", "num_threads", "progress", "metrics", "metric_ticks", "inception", "vgg16",
                     "lpips", "metrics_cache")
"""The options a resume takes from the command line; everything else comes from the checkpoint's config."""


def for_resume(cfg: TrainConfig, saved: dict) -> TrainConfig:
    """The saved config of a run, with the :data:`RESUMABLE_OPTIONS` that ``cfg`` sets (not None, not empty)."""
    changed = {k: getattr(cfg, k) for k in RESUMABLE_OPTIONS if getattr(cfg, k) not in (None, ())}
    return replace(TrainConfig.from_dict(saved), **changed)
