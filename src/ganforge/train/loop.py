"""``train(cfg)``: the StyleGAN2 training loop, top to bottom.

Build -> per iteration: fetch reals, run the due phases (each: rounds of forward/backward, gradient average over
processes, optimizer step), update G_ema -> per tick: statistics, sample grid, checkpoint.

Reproducibility: every round of every phase seeds torch's generator from ``(seed, batch_idx, phase, round)``, where
``round`` counts over all processes. The random draws (latents, labels, mixing cutoff, noise) therefore do not
depend on how the global batch is split into processes and accumulation rounds, and a resumed run continues with
exactly the draws of an uninterrupted one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ganforge.data import ImageDataset
from ganforge.train import diagnostics, evaluation, setup, transfer
from ganforge.train.ada import AdaTuner
from ganforge.train.checkpoint import (capture_rng_state, load_checkpoint, prune_checkpoints,
                                       restore_rng_state, save_checkpoint)
from ganforge.train.config import TrainConfig
from ganforge.train.resume import check_dataset, for_resume, pick_checkpoint
from ganforge.train.distributed import DistEnv, average_gradients, init_distributed
from ganforge.train.ema import ema_beta, update_ema
from ganforge.train.hparams import HyperParams, set_optimizer_hparams
from ganforge.train.snapshots import grid_latents, real_grid, render_grid
from ganforge.train.stats import RunLogger, TickStats
from ganforge.utils.images import save_png


@dataclass
class RunResult:
    run_dir: Path
    cur_nimg: int
    last_checkpoint: Path | None
    stats: dict[str, float]


def train(cfg: TrainConfig, *, resume: str | None = None, env: DistEnv | None = None) -> RunResult:
    """Train until ``cfg.kimg`` thousand real images have been shown; ``resume`` = latest | checkpoint | run folder."""
    env = env or init_distributed(cfg.run.device)
    if cfg.run.num_threads:
        torch.set_num_threads(cfg.run.num_threads)
    ckpt, notes = None, []
    if resume is not None:
        wanted = ImageDataset(cfg.data.path).fingerprint() if resume == "latest" and cfg.data.path else None
        path, notes = pick_checkpoint(resume, cfg.run.outdir, wanted)
        ckpt = load_checkpoint(path)
        cfg = for_resume(cfg, ckpt.config)
    dataset = setup.open_dataset(cfg, resuming=ckpt is not None)
    fingerprint = dataset.fingerprint()
    if ckpt is not None:
        check_dataset(cfg, fingerprint, ckpt.path)
    cfg = replace(cfg, data=replace(cfg.data, fingerprint=fingerprint))
    cfg, source = transfer.prepare(cfg, dataset) if ckpt is None else (cfg, None)  # --resume-from: a new run
    cfg = setup.resolve(cfg, dataset, env)
    run_dir = ckpt.path.parent if ckpt else _broadcast_run_dir(cfg, dataset.name, env)
    cfg = replace(cfg, run=replace(cfg.run, run_dir=str(run_dir)))
    nets = setup.build_nets(cfg, env)
    transfer.load_weights(nets, source)
    runners = setup.build_phases(cfg, nets)
    terms = setup.build_terms(cfg, nets, env.device, runners)
    objective = setup.build_objective(cfg, env.device, nets, terms)
    hp = HyperParams(cfg)
    state = setup.TrainState(sampler=setup.InfiniteSampler(len(dataset), seed=cfg.run.seed))
    ada = AdaTuner(cfg.augment, cfg.run.batch, objective.augment, env, terms["ada"])
    if ckpt is not None:
        _restore(ckpt, nets, runners, state, terms)
    elif env.is_main:
        setup.write_config(cfg, run_dir)
    ada.attach()  # the pipeline's p = the term's (initial --p, or the resumed run's)
    logger = RunLogger(run_dir, env, tensorboard=cfg.run.tensorboard)
    for note in notes:
        logger.log(note)
    logger.log(f"{'resuming' if ckpt else 'starting'} {run_dir} at {state.cur_nimg / 1000:.1f} kimg of "
               f"{cfg.run.kimg:g}; {len(dataset)} images {tuple(dataset.image_shape)}; batch {cfg.run.batch} "
               f"({cfg.run.batch_gpu}/pass x {env.world_size} processes); device {env.device}")
    logger.log(setup.describe_loss(cfg))
    grid_z, grid_c = grid_latents(cfg.run.grid_size, nets.G.z_dim, nets.G.c_dim, env.device)
    if ckpt is None:
        _write_initial_grids(cfg, dataset, nets, grid_z, grid_c, logger, run_dir)

    stats = TickStats()
    total_nimg = int(cfg.run.kimg * 1000)
    if state.cur_nimg >= total_nimg:
        raise ValueError(f"{run_dir} is already at {state.cur_nimg / 1000:g} kimg; pass a larger --kimg to train on")
    progress = tqdm(total=total_nimg, initial=state.cur_nimg, unit="img", unit_scale=True, dynamic_ncols=True,
                    disable=not (cfg.run.progress and env.is_main), desc="train")
    start_time = tick_start_time = time.time()
    elapsed_before = state.elapsed_sec  # training time of earlier sessions of this run
    last_ckpt, tick_stats = ckpt.path if ckpt else None, {}
    while True:
        batch = terms["growth"].batch_at(state.cur_nimg, cfg.run.batch) if "growth" in terms else cfg.run.batch
        real_img, real_c = _fetch_reals(cfg, dataset, state, env, batch)
        _apply_hparams(hp, state.cur_nimg, runners, objective, ada)
        if "growth" in terms:  # --growing: the stage of cur_nimg on G, D, G_ema; the reals at that stage
            real_img = terms["growth"].advance(state.cur_nimg, real_img)
        for phase_idx, runner in enumerate(runners):
            if runner.phase.is_due(state.batch_idx):
                _run_phase(cfg, env, nets, runner, phase_idx, objective, dataset, state, real_img, real_c, stats, ada,
                           terms, batch)
        ema_kimg = hp.value("ema_kimg", state.cur_nimg)
        update_ema(nets.G_ema, nets.G, ema_beta(batch, ema_kimg, cfg.optim.ema_rampup, state.cur_nimg))
        state.cur_nimg += batch
        state.batch_idx += 1
        ada.step(state.batch_idx, stats)  # ADA: p from r_t every interval minibatches
        progress.update(batch)

        done = state.cur_nimg >= total_nimg
        if not done and state.cur_nimg < state.tick_start_nimg + cfg.run.tick_kimg * 1000:
            continue
        now = time.time()
        tick_stats = _tick_stats(stats, env, state, now - tick_start_time, elapsed_before + now - start_time)
        tick_stats.update(diagnostics.tick_diagnostics(nets.G_ema, grid_z, grid_c))  # mode-collapse indicators
        if "growth" in terms:
            tick_stats.update(terms["growth"].tick_stats())
        if cfg.augment.mode in ("ada", "fixed"):  # DiffAugment has no p
            tick_stats["Progress/augment"] = terms["ada"].p
        tick_stats.update({f"Schedule/{t}": hp.value(t, state.cur_nimg) for t in hp.schedules})  # values in use
        logger.scalars(tick_stats, kimg=state.cur_nimg / 1000, timestamp=now)
        logger.log(_tick_line(state, tick_stats))
        diagnostics.stop_if_diverged(tick_stats, nets.modules(), state.cur_nimg / 1000, last_ckpt, logger.log)
        progress.set_postfix({"s/kimg": f"{tick_stats['Timing/sec_per_kimg']:.1f}"})
        if cfg.run.image_ticks and (done or state.cur_tick % cfg.run.image_ticks == 0):
            _write_grid(cfg, nets, grid_z, grid_c, logger, run_dir, state, env)
        snapshot_due = done or (cfg.run.snapshot_ticks and state.cur_tick % cfg.run.snapshot_ticks == 0)
        state.cur_tick += 1  # the tick is complete before it is saved: a resume starts the next one
        state.tick_start_nimg = state.cur_nimg
        state.elapsed_sec = elapsed_before + now - start_time
        if evaluation.is_due(cfg, state.cur_tick - 1, done, snapshot_due):
            network = str(_snapshot_path(run_dir, state)) if snapshot_due else None
            evaluation.evaluate(cfg, nets.G_ema, state, env, logger, network=network)
        if snapshot_due:
            last_ckpt = _save(cfg, run_dir, nets, runners, state, terms, env)
        tick_start_time = time.time()
        if done:
            break
    progress.close()
    logger.log(f"done: {state.cur_nimg / 1000:.1f} kimg in {elapsed_before + time.time() - start_time:.0f} s of "
               f"training; last checkpoint {last_ckpt}")
    logger.close()
    return RunResult(run_dir=run_dir, cur_nimg=state.cur_nimg, last_checkpoint=last_ckpt, stats=tick_stats)


def _apply_hparams(hp, cur_nimg, runners, objective, ada) -> None:
    """The hyper-parameters at ``cur_nimg`` (schedules, else the config's values) into optimisers and objective."""
    for runner in {id(r.opt): r for r in runners}.values():
        set_optimizer_hparams(runner.opt, *hp.adam(runner.phase.module, cur_nimg), runner.reg_intervals,
                              runner.lr_mults)
    for reg in objective.regs:
        objective.live[f"reg.{reg.name}"] = hp.value(f"reg.{reg.name}", cur_nimg)
    objective.live["blur_sigma"] = hp.value("blur_sigma", cur_nimg)
    if hp.is_scheduled("augment.p"):
        ada.set_p(hp.value("augment.p", cur_nimg))


def _run_phase(cfg, env, nets, runner, phase_idx, objective, dataset, state, real_img, real_c, stats, ada,
               terms, batch: int | None = None) -> None:
    """Rounds of forward/backward for one phase, gradient average over processes, one optimizer step, the training
    terms' update from the outputs of all rounds."""
    batch_gpu = cfg.run.batch_gpu
    rounds = (batch or cfg.run.batch) // (batch_gpu * env.world_size)
    runner.opt.zero_grad(set_to_none=True)
    for p in runner.params:  # only what the optimizer trains (Freeze-D blocks stay without gradients)
        p.requires_grad_(True)
    pl_mean = terms["pl"].pl_mean if "pl" in terms else None
    outputs = []
    for k in range(rounds):
        global_round = env.rank * rounds + k
        torch.manual_seed(_round_seed(cfg.run.seed, state.batch_idx, phase_idx, global_round))
        gen_z = torch.randn([batch_gpu, nets.G.z_dim], device=env.device)
        gen_c = _random_labels(dataset, batch_gpu, env.device)
        sl = slice(k * batch_gpu, (k + 1) * batch_gpu)
        out = objective.compute(runner.phase, nets.G, nets.D, real_img[sl], real_c[sl] if real_c is not None else None,
                                gen_z, gen_c, pl_mean, cur_nimg=state.cur_nimg)
        (out.loss / rounds).backward()
        for name, values in out.stats.items():
            stats.report(name, values)
        ada.observe(out.stats)
        outputs.append(out.terms)
    runner.module.requires_grad_(False)
    average_gradients(runner.params, env)
    stats.report(f"Grad/{runner.phase.name}", diagnostics.grad_norm(runner.params))  # before NaNs are zeroed
    for p in runner.params:
        if p.grad is not None:
            torch.nan_to_num(p.grad, nan=0, posinf=1e5, neginf=-1e5, out=p.grad)
    runner.opt.step()
    objective.after_step(runner.phase, runner.module)  # constraints (WGAN weight clipping)
    for name, value in terms.update(outputs, env).items():  # pl_mean, w_avg, LeCam anchors: once per phase
        stats.report(name, value)
    stats.report(f"Timing/{runner.phase.name}_calls", float(rounds))


def _round_seed(seed: int, batch_idx: int, phase_idx: int, global_round: int) -> int:
    return (((seed * 1_000_003 + batch_idx) * 64 + phase_idx) * 4096 + global_round) % (2**63)


def _random_labels(dataset, n: int, device: torch.device) -> torch.Tensor | None:
    """Labels of random dataset images for the fakes (the official conditional recipe), drawn from torch's RNG."""
    if dataset.label_dim == 0:
        return None
    idx = torch.randint(len(dataset), [n]).numpy()
    return _labels_of(dataset, idx).to(device)


def _labels_of(dataset, idx) -> torch.Tensor:
    return torch.from_numpy(np.stack([dataset.get_label(int(i)) for i in idx]))


def _fetch_reals(cfg, dataset, state, env, batch: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """This process's share of the next global batch (``batch`` images, default ``cfg.run.batch``), in [-1, 1]."""
    batch = batch or cfg.run.batch
    indices = state.sampler.take(batch)
    per_rank = batch // env.world_size
    img, c = dataset.get_batch(indices[env.rank * per_rank:(env.rank + 1) * per_rank])
    img = img.to(env.device, torch.float32) / 127.5 - 1
    return img, (c.to(env.device) if dataset.label_dim else None)


def _tick_stats(stats, env, state, tick_sec, total_sec) -> dict[str, float]:
    values = stats.collect(env)
    tick_kimg = (state.cur_nimg - state.tick_start_nimg) / 1000
    values.update({"Progress/tick": float(state.cur_tick), "Progress/kimg": state.cur_nimg / 1000,
                   "Timing/total_sec": total_sec, "Timing/sec_per_tick": tick_sec,
                   "Timing/sec_per_kimg": tick_sec / max(tick_kimg, 1e-8), "Timing/img_per_sec": tick_kimg * 1000 / tick_sec})
    values.update(_memory_stats(env))
    return values


def _memory_stats(env: DistEnv) -> dict[str, float]:
    import resource

    mem = {"Resources/cpu_mem_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20}
    if env.device.type == "cuda":
        mem["Resources/peak_gpu_mem_gb"] = torch.cuda.max_memory_allocated(env.device) / 2**30
        torch.cuda.reset_peak_memory_stats(env.device)
    return mem


def _tick_line(state, s: dict[str, float]) -> str:
    parts = [f"tick {state.cur_tick:<5d}", f"kimg {state.cur_nimg / 1000:<8.1f}", f"time {s['Timing/total_sec']:<7.0f}",
             f"sec/kimg {s['Timing/sec_per_kimg']:<7.2f}", f"img/s {s['Timing/img_per_sec']:<6.1f}"]
    if "Progress/resolution" in s:
        parts.append(f"res {int(s['Progress/resolution'])}")
    for key, label in (("Progress/fade_alpha", "alpha"),
                       ("Loss/G/loss", "G"), ("Loss/D/loss", "D"), ("Loss/r1_penalty", "r1"), ("Loss/pl_mean", "pl_mean"),
                       ("Progress/augment", "augment"), ("Augment/rt", "rt")):
        if key in s:
            parts.append(f"{label} {s[key]:.3f}")
    parts.append(f"mem {s['Resources/cpu_mem_gb']:.2f}GB")
    return "  ".join(parts)


def _write_initial_grids(cfg, dataset, nets, grid_z, grid_c, logger, run_dir) -> None:
    if not logger.enabled or not cfg.run.image_ticks:
        return
    n = cfg.run.grid_size**2
    reals, _ = dataset.get_batch(setup.InfiniteSampler(len(dataset), seed=cfg.run.seed + 1).take(n))
    save_png(real_grid(reals), run_dir / "reals.png")
    logger.image("reals", real_grid(reals), kimg=0)
    save_png(render_grid(nets.G_ema, grid_z, grid_c), run_dir / "fakes_init.png")


def _write_grid(cfg, nets, grid_z, grid_c, logger, run_dir, state, env) -> None:
    if not env.is_main:
        return
    grid = render_grid(nets.G_ema, grid_z, grid_c)
    path = run_dir / f"fakes{state.cur_nimg // 1000:06d}.png"
    if path.exists():  # --tick < 1: a later grid of the same kimg gets a suffix instead of overwriting (as snapshots)
        path = path.with_name(f"{path.stem}_{state.cur_nimg % 1000:03d}.png")
    save_png(grid, path)
    logger.image("fakes", grid, kimg=state.cur_nimg / 1000)


def _snapshot_path(run_dir: Path, state) -> Path:
    from ganforge.train.checkpoint import snapshot_path  # ticks < 1 kimg: later snapshots of a kimg get a suffix

    return snapshot_path(run_dir, state.cur_nimg)


def _save(cfg, run_dir, nets, runners, state, terms, env) -> Path | None:
    if not env.is_main:
        return None
    path = _snapshot_path(run_dir, state)
    save_checkpoint(path, modules=nets.modules(), optimizers=setup.optimizers(runners), config=cfg.to_dict(),
                    state={"train": state.to_dict(), "terms": terms.state_dict(), "rng": capture_rng_state()})
    if cfg.run.keep_checkpoints:
        prune_checkpoints(run_dir, cfg.run.keep_checkpoints)
    return path


def _restore(ckpt, nets, runners, state, terms) -> None:
    from ganforge.train.migrate import migrate_checkpoint_state

    try:
        modules, train_state, term_state = migrate_checkpoint_state(ckpt.modules, ckpt.state)
        for name, module in nets.modules().items():
            module.load_state_dict(modules[name])
        for name, opt in setup.optimizers(runners).items():
            opt.load_state_dict(ckpt.optimizers[name])
        state.load_dict(train_state)
        terms.load_state_dict(term_state)
        restore_rng_state(ckpt.state["rng"])
    except (KeyError, TypeError, RuntimeError, IndexError, AttributeError) as exc:
        raise ValueError(f"--resume {ckpt.path}: its training state does not fit this run "
                         f"({type(exc).__name__}: {exc}); resume from another checkpoint") from None


def _broadcast_run_dir(cfg: TrainConfig, dataset_name: str, env: DistEnv) -> Path:
    """Rank 0 creates the run folder; the others learn its name."""
    name = [str(setup.new_run_dir(cfg, dataset_name)) if env.is_main else None]
    if env.is_distributed:
        import torch.distributed as dist

        dist.broadcast_object_list(name, src=0)
    return Path(name[0])
