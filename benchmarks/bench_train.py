"""Training step throughput (img/s) for the REFERENCE Part 3 "small-32" and "small-64" configs, and R3GAN at 32 px.

Protocol (matches REFERENCE Part 3, "Training"): official small network shapes, batch 16 = batch_gpu 16, one
process, fp32, R1 gamma 0.0002 res^2 / batch, style mixing 0.9, pl_weight 2, pl_batch_shrink 2, Adam with the
lazy-regularisation correction, EMA. Each phase is timed as the loop runs it (``train/loop.py:_run_phase``: zero_grad,
requires_grad, forward/backward, nan_to_num, ``opt.step()``), with random U(-1, 1) reals (data loading is not
measured); the Gmain/Dmain columns show Gboth/Dboth for configs without lazy phases. **Amortised step** = the sum of every phase's time over its interval + EMA (StyleGAN2: Gmain + Dmain +
Greg/4 + Dreg/16 + EMA); img/s = batch / amortised step. ``r3gan-32``: the ``r3gan-cpu`` network and loss (rpgan, R1 + R2
in every D step) at the same batch and resolution as ``small-32``; it has no official number.
Median of ``--repeats`` after ``--warmup``. Prints a table and one JSON record.

    python benchmarks/bench_train.py                    # both configs
    python benchmarks/bench_train.py --configs small-32 --repeats 5
    python benchmarks/bench_train.py --malloc both       # A/B: glibc defaults, then ganforge's setting

``--malloc on`` (default) applies what the ``ganforge`` command applies at start
(``ganforge.utils.allocator.keep_freed_memory``).
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace

import torch

from bench_generator import add_malloc_arg, cpu_name, emit_record, malloc_settings  # same folder: run as a script

from ganforge.train import setup
from ganforge.train.ada import AdaTuner
from ganforge.train.distributed import DistEnv
from ganforge.train.ema import ema_beta, update_ema
from ganforge.train.loop import _run_phase
from ganforge.train.presets import preset_config, resolve_config
from ganforge.train.stats import TickStats

CONFIGS = {"small-32": ("small", 32), "small-64": ("small", 64), "r3gan-32": ("r3gan-cpu", 32)}
OFFICIAL_IMG_S = {"small-32": 9.40, "small-64": 2.04}  # REFERENCE Part 3, final run
TARGET_IMG_S = {"small-32": 14.0, "small-64": 3.0}


def bench_config(config: tuple[str, int], batch: int, repeats: int, warmup: int,
                 device: torch.device) -> tuple[dict[str, float], dict[str, int]]:
    """Median seconds per phase call (and EMA) for one config, and each phase's interval."""
    preset, resolution = config
    cfg = resolve_config(preset_config(preset, {"run": {"batch": batch}}), resolution=resolution, img_channels=3,
                         c_dim=0)
    env = DistEnv(device=device)
    nets = setup.build_nets(cfg, env)
    runners = setup.build_phases(cfg, nets)
    terms = setup.build_terms(cfg, nets, device)
    objective = setup.build_objective(cfg, device, nets, terms)
    state = setup.TrainState(sampler=setup.InfiniteSampler(1))
    ada = AdaTuner(cfg.augment, cfg.run.batch, objective.augment, env, terms["ada"])  # no augmentation: observes nothing
    ada.attach()
    dataset = SimpleNamespace(label_dim=0)
    stats = TickStats()
    gen = torch.Generator().manual_seed(0)
    times: dict[str, list[float]] = {r.phase.name: [] for r in runners}
    times["EMA"] = []
    for it in range(warmup + repeats):
        real = (torch.rand([batch, 3, resolution, resolution], generator=gen) * 2 - 1).to(device)
        for idx, runner in enumerate(runners):
            t0 = time.perf_counter()
            _run_phase(cfg, env, nets, runner, idx, objective, dataset, state, real, None, stats, ada, terms)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if it >= warmup:
                times[runner.phase.name].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        update_ema(nets.G_ema, nets.G, ema_beta(batch, cfg.optim.ema_kimg, cfg.optim.ema_rampup, 10_000))
        if it >= warmup:
            times["EMA"].append(time.perf_counter() - t0)
        state.batch_idx += 1
    intervals = {r.phase.name: r.phase.interval for r in runners} | {"EMA": 1}
    return {name: statistics.median(values) for name, values in times.items()}, intervals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", help="also write the JSON record to this path")
    add_malloc_arg(parser)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    record = {"benchmark": "train_step", "machine": cpu_name(), "torch": torch.__version__, "threads": args.threads,
              "batch": args.batch, "repeats": args.repeats, "device": str(device), "results": {}}
    print(f"{'config':<10} {'malloc':<6} {'Gmain':>7} {'Dmain':>7} {'Greg':>7} {'Dreg':>7} {'EMA':>7} {'step s':>7} "
          f"{'img/s':>7} {'official':>8} {'ratio':>6} {'target':>6}")
    dash = float("nan")
    for malloc, applied in malloc_settings(args.malloc):
        for name in args.configs:
            t, intervals = bench_config(CONFIGS[name], args.batch, args.repeats, args.warmup, device)
            step = sum(sec / intervals[phase] for phase, sec in t.items())
            img_s = args.batch / step
            official, target = OFFICIAL_IMG_S.get(name), TARGET_IMG_S.get(name)
            key = name if args.malloc != "both" else f"{name}/malloc-{malloc}"
            record["results"][key] = {"phase_sec": t, "phase_interval": intervals, "amortised_step_sec": step,
                                      "img_per_sec": img_s, "malloc_tuning": applied, "official_img_per_sec": official,
                                      "target_img_per_sec": target,
                                      "speedup_vs_official": img_s / official if official else None}
            g_main, d_main = t.get("Gmain", t.get("Gboth", dash)), t.get("Dmain", t.get("Dboth", dash))
            print(f"{name:<10} {malloc:<6} {g_main:7.3f} {d_main:7.3f} {t.get('Greg', dash):7.3f} "
                  f"{t.get('Dreg', dash):7.3f} {t['EMA']:7.4f} {step:7.3f} {img_s:7.2f} {official or dash:8.2f} "
                  f"{img_s / official if official else dash:6.2f} {target or dash:6.1f}", flush=True)
    emit_record(record, args.json)


if __name__ == "__main__":
    main()
