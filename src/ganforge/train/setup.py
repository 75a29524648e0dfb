"""Everything the loop builds before the first step: dataset, config resolution, run folder, networks, phases.

Each function is one box of ``train()``; none of them trains.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ganforge.data import ImageDataset, InfiniteSampler
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.objective import GANObjective
from ganforge.losses.regularizers import ActiveReg, resolve_regs
from ganforge.models import build_discriminator, build_generator
from ganforge.models.checks import init_res_for
from ganforge.models.network import generator_caps
from ganforge.train import transfer
from ganforge.train.ada import build_run_augment
from ganforge.train.config import TrainConfig
from ganforge.train.distributed import DistEnv, broadcast_module
from ganforge.train.hparams import HyperParams, set_optimizer_hparams
from ganforge.train.phases import Phase, lazy_reg_hparams, regularized_phases
from ganforge.train.presets import resolve_config
from ganforge.train.terms import AdaState, TermSet, WAvgTracker


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
    reg_intervals: tuple[int, ...] = ()
    """The lazy intervals of this network's regularisers (the lr/betas correction)."""
    lr_mults: list[float] = field(default_factory=list)
    """Per parameter group: the multiplier on the scheduled lr (transfer learning's mapping multiplier)."""


@dataclass
class TrainState:
    """Progress counters; with the terms' state (train/terms.py) it goes into every checkpoint."""

    sampler: InfiniteSampler
    cur_nimg: int = 0
    cur_tick: int = 0
    batch_idx: int = 0
    tick_start_nimg: int = 0
    best_metric: float | None = None
    elapsed_sec: float = 0.0
    """Wall-clock training time of the run so far (all sessions)."""

    def to_dict(self) -> dict:
        return {"cur_nimg": self.cur_nimg, "cur_tick": self.cur_tick, "batch_idx": self.batch_idx,
                "tick_start_nimg": self.tick_start_nimg, "best_metric": self.best_metric,
                "elapsed_sec": self.elapsed_sec, "sampler": self.sampler.state_dict()}

    def load_dict(self, data: dict) -> None:
        for name in ("cur_nimg", "cur_tick", "batch_idx", "tick_start_nimg", "best_metric"):
            setattr(self, name, data[name])
        self.elapsed_sec = float(data.get("elapsed_sec", 0.0))
        self.sampler.load_state_dict(data["sampler"])


def open_dataset(cfg: TrainConfig, *, resuming: bool = False) -> ImageDataset:
    """The training set (labels when ``--cond``, doubled with x-flips when ``--mirror``)."""
    data = cfg.data
    if not data.path:
        raise ValueError("--data is required: a dataset folder or zip made by 'ganforge dataset'")
    if resuming and not Path(data.path).exists():
        raise ValueError(f"--resume: the run's dataset {data.path} is not there any more; pass --data with where it "
                         f"lies now (its fingerprint is checked)")
    dataset = ImageDataset(data.path, use_labels=data.cond, xflip=data.mirror)
    if data.cond and dataset.label_dim == 0:
        raise ValueError(f"--cond needs labels, but {data.path} has none (make it with 'ganforge dataset --labels ...')")
    _, height, width = dataset.image_shape
    try:
        init_res_for(height, width)
    except ValueError as exc:
        raise ValueError(f"{data.path}: {exc}") from None
    return dataset


def resolve(cfg: TrainConfig, dataset: ImageDataset, env: DistEnv) -> TrainConfig:
    """The concrete config of the run (preset + dataset shape + process count)."""
    channels, height, width = dataset.image_shape
    resolution, init_res = init_res_for(height, width)
    return resolve_config(cfg, resolution=resolution, img_channels=channels, c_dim=dataset.label_dim,
                          num_gpus=env.world_size, init_res=init_res)


def new_run_dir(cfg: TrainConfig, dataset_name: str) -> Path:
    """``outdir/NNNNN-<dataset>-<cfg>`` with the next free number (as the official run folders)."""
    outdir = Path(cfg.run.outdir)
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
    """G, D (the family's default or ``--d``) and G_ema (a copy of G), seeded by ``cfg.run.seed``, identical on every
    process."""
    from ganforge.models.limits import network_shapes

    # a mistyped --cbase/--cmax must not allocate gigabytes: check the sizes first (nothing is initialised there)
    network_shapes(cfg.model.arch, cfg.model.d, where="the model options (--cbase, --cmax, --map, ...)",
                   d_options=cfg.model.d_options)
    torch.manual_seed(cfg.run.seed)
    G = build_generator(cfg.model.arch).train().requires_grad_(False).to(env.device)
    D = build_discriminator(cfg.model.arch, cfg.model.d, cfg.model.d_options).train().requires_grad_(False).to(env.device)
    G_ema = copy.deepcopy(G).eval()
    for module in (G, D, G_ema):
        broadcast_module(module, env)
    return Nets(G=G, D=D, G_ema=G_ema)


def build_phases(cfg: TrainConfig, nets: Nets) -> list[PhaseRunner]:
    """Adam per network over its trainable parameters (the model's ``trainable_parameters()`` less Freeze-D blocks);
    one phase per lazy regulariser interval of each network (see :func:`run_regs`). lr and betas are set from the
    hyper-parameters before every step (:func:`ganforge.train.hparams.set_optimizer_hparams`); the values given to
    Adam here are those at ``cur_nimg = 0``."""
    regs = run_regs(cfg, nets.G)
    hp = HyperParams(cfg)
    phases, intervals = [], {}
    for name in ("G", "D"):
        mine = [r for r in regs if r.reg.module == name]
        intervals[name] = tuple(sorted({r.interval for r in mine if r.lazy}))
        phases += regularized_phases(name, intervals[name], eager=any(not r.lazy for r in mine))
    opts, mults, params = {}, {}, {}
    for name, module in (("G", nets.G), ("D", nets.D)):
        lr, betas = hp.adam(name, 0)
        lr, betas, _ = lazy_reg_hparams(lr, betas, intervals[name])
        groups, mults[name] = transfer.param_groups(name, module, cfg.transfer)
        params[name] = [p for group in groups for p in group["params"]]
        opts[name] = torch.optim.Adam([{"params": g["params"]} for g in groups], lr=lr, betas=betas,
                                      eps=getattr(cfg.optim, name).eps)
        set_optimizer_hparams(opts[name], *hp.adam(name, 0), intervals[name], mults[name])
    runners = []
    for phase in phases:
        module = nets.G if phase.module == "G" else nets.D
        runners.append(PhaseRunner(phase, module, opts[phase.module], params[phase.module], intervals[phase.module],
                                   mults[phase.module]))
    return runners


def optimizers(runners: list[PhaseRunner]) -> dict[str, torch.optim.Optimizer]:
    """``{"G": opt, "D": opt}`` (each optimizer once)."""
    return {r.phase.module: r.opt for r in runners}


def run_regs(cfg: TrainConfig, G: torch.nn.Module | None = None) -> tuple[ActiveReg, ...]:
    """The run's active regularisers, in the resolved config's order (weight-0 entries dropped); a term that needs a
    mapping network on a G without one is a ``ValueError``."""
    regs = resolve_regs(cfg.loss.regs)
    has_mapping = G is None or generator_caps(G).has_mapping
    for reg in regs:
        if reg.reg.needs_mapping and not has_mapping:
            raise ValueError(f"regulariser {reg.name!r} needs a generator with a mapping network (StyleGAN2); "
                             f"model family {cfg.model.family!r} has none")
    return regs


def describe_loss(cfg: TrainConfig) -> str:
    """One log line: the adversarial loss and every regulariser with its weight and interval, or why it is off."""
    from ganforge.losses.adversarial import get_adversarial_loss

    loss = get_adversarial_loss(cfg.loss.adversarial)
    parts = []
    for reg in cfg.loss.regs:
        if reg.weight:
            parts.append(f"{reg.name} {reg.weight:g} {'every step' if reg.interval <= 1 else f'every {reg.interval}'}")
        elif reg.name == "r1" and not loss.default_r1:
            parts.append(f"r1 off ({loss.name} has its own Lipschitz constraint; --gamma turns R1 on)")
        else:
            parts.append(f"{reg.name} off (weight 0)")
    return f"loss {loss.name}; regularisers: {', '.join(parts) or 'none'}"


def build_terms(cfg: TrainConfig, nets: Nets, device: torch.device | str = "cpu",
                runners: list[PhaseRunner] | None = None) -> TermSet:
    """The run's stateful terms: those of its regularisers (path length, LeCam), G's ``w_avg`` when it tracks one,
    the augmentation state (p) and, with ``--growing``, the growth level (at ``cur_nimg = 0`` until a resume loads
    the checkpoint's; it resets the optimizers of ``runners`` at stage boundaries)."""
    from ganforge.train.growth import GrowthTerm
    from ganforge.train.hparams import run_grows

    terms: list = [r.reg.term(cfg.loss, device) for r in run_regs(cfg, nets.G) if r.reg.term is not None]
    if generator_caps(nets.G).has_w_avg:
        terms.append(WAvgTracker(nets.G.mapping))
    terms.append(AdaState(cfg.augment.p, device))
    if run_grows(cfg):
        growth = GrowthTerm(nets, list(optimizers(runners or []).values()), HyperParams(cfg),
                            stage_batch=dict(cfg.run.stage_batch))
        growth.advance(0)
        terms.append(growth)
    return TermSet(terms)


def build_objective(cfg: TrainConfig, device: torch.device | str = "cpu", nets: Nets | None = None,
                    terms: TermSet | None = None) -> GANObjective:
    """The objective, with the run's D augmentation (``--aug``; ``objective.augment`` is ``None`` for noaug), its
    regularisers (reading the state of ``terms``), and style mixing when G has a mapping network."""
    G = nets.G if nets is not None else None
    regs = run_regs(cfg, G)
    if terms is None and nets is not None:
        terms = build_terms(cfg, nets, device)
    state = {k: v for k, v in (terms.values() if terms is not None else {}).items() if k != "pl_mean"}
    has_mapping = G is None or generator_caps(G).has_mapping
    return GANObjective(
        adversarial=get_adversarial_loss(cfg.loss.adversarial), regs=regs, pl_batch_shrink=cfg.loss.pl_batch_shrink,
        pl_decay=cfg.loss.pl_decay, style_mixing_prob=cfg.loss.style_mixing_prob if has_mapping else 0.0, state=state,
        augment=build_run_augment(cfg.augment, torch.device(device)),
    )
