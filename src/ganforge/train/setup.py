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
from ganforge.losses.objective import StyleGAN2Objective
from ganforge.models import build_discriminator, build_generator
from ganforge.train.config import TrainConfig
from ganforge.train.distributed import DistEnv, broadcast_module
from ganforge.train.phases import Phase, lazy_reg_hparams, stylegan2_phases
from ganforge.train.presets import resolve_config


@dataclass
class Nets:
    """The three networks of a run."""

    G: torch.nn.Module
    D: torch.nn.Module
    G_ema: torch.nn.Module

    def modules(self) -> dict[str, torch.nn.Module]:
        return {"G": self.G, "D": self.D, "G_ema": self.G_ema}


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

    def to_dict(self) -> dict:
        return {"cur_nimg": self.cur_nimg, "cur_tick": self.cur_tick, "batch_idx": self.batch_idx,
                "tick_start_nimg": self.tick_start_nimg, "pl_mean": self.pl_mean.detach().cpu(),
                "best_metric": self.best_metric, "elapsed_sec": self.elapsed_sec,
                "sampler": self.sampler.state_dict()}

    def load_dict(self, data: dict) -> None:
        for name in ("cur_nimg", "cur_tick", "batch_idx", "tick_start_nimg", "best_metric"):
            setattr(self, name, data[name])
        self.elapsed_sec = float(data.get("elapsed_sec", 0.0))
        self.pl_mean = torch.as_tensor(data["pl_mean"]).to(self.pl_mean.device, torch.float32)
        self.sampler.load_state_dict(data["sampler"])


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
    """Adam per network with the lazy-regularisation correction of lr and betas (STYLE rule 6)."""
    phases = stylegan2_phases(cfg.pl_interval if cfg.pl_weight > 0 else None,
                              cfg.r1_interval if cfg.r1_gamma > 0 else None)
    opts = {}
    for name, module, lr, interval in (("G", nets.G, cfg.g_lr, cfg.pl_interval if cfg.pl_weight > 0 else None),
                                       ("D", nets.D, cfg.d_lr, cfg.r1_interval if cfg.r1_gamma > 0 else None)):
        lr, betas, _ = lazy_reg_hparams(lr, cfg.betas, interval)
        opts[name] = torch.optim.Adam(module.parameters(), lr=lr, betas=betas, eps=cfg.eps)
    runners = []
    for phase in phases:
        module = nets.G if phase.module == "G" else nets.D
        runners.append(PhaseRunner(phase, module, opts[phase.module], list(module.parameters())))
    return runners


def optimizers(runners: list[PhaseRunner]) -> dict[str, torch.optim.Optimizer]:
    """``{"G": opt, "D": opt}`` (each optimizer once)."""
    return {r.phase.module: r.opt for r in runners}


def build_objective(cfg: TrainConfig) -> StyleGAN2Objective:
    return StyleGAN2Objective(
        adversarial=get_adversarial_loss(cfg.loss), r1_gamma=cfg.r1_gamma, pl_weight=cfg.pl_weight,
        pl_batch_shrink=cfg.pl_batch_shrink, pl_decay=cfg.pl_decay, style_mixing_prob=cfg.style_mixing_prob,
    )


def for_resume(cfg: TrainConfig, saved: dict, overrides: dict) -> TrainConfig:
    """The saved config of a run, with the few options a resume may change (kimg, device, bookkeeping)."""
    allowed = {"kimg", "device", "num_threads", "progress", "tensorboard", "snapshot_ticks", "image_ticks",
               "keep_checkpoints"}
    changed = {k: v for k, v in overrides.items() if k in allowed and v is not None}
    return replace(TrainConfig.from_dict(saved), **changed)
