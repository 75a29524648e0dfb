"""``ganforge train``: train a StyleGAN2 on a dataset (CPU, one GPU, or many with ``torchrun``).

examples:
  # a few minutes on a laptop CPU with the bundled emoji dataset
  ganforge train --data datasets/emoji-32.zip --outdir runs --cfg cpu --kimg 20
  # the ADA auto config on one GPU, x-flips, 5000 kimg
  ganforge train --data ~/datasets/ffhq-256.zip --outdir runs --cfg auto --mirror --kimg 5000
  # 4 GPUs (the batch is global: 64 = 4 x 16), 8 images per pass = 2 rounds of gradient accumulation
  torchrun --nproc_per_node 4 -m ganforge.cli.main train --data ffhq-256.zip --cfg paper256 --batch 64 --batch-gpu 8
  # continue the newest run in runs/ exactly where it stopped, up to 40 kimg
  ganforge train --outdir runs --resume latest --kimg 40
  # print the resolved config and exit
  ganforge train --data datasets/emoji-32.zip --cfg auto --dry-run
"""

from __future__ import annotations

import argparse
import json

from ganforge.train.config import TrainConfig
from ganforge.train.presets import list_presets

# flag -> TrainConfig field (flags keep the official names where they exist)
FLAGS = {"data": "data", "outdir": "outdir", "cfg": "cfg", "kimg": "kimg", "batch": "batch", "batch_gpu": "batch_gpu",
         "gamma": "r1_gamma", "glr": "g_lr", "dlr": "d_lr", "ema": "ema_kimg", "cbase": "channel_base",
         "cmax": "channel_max", "map": "mapping_layers", "loss": "loss", "pl_weight": "pl_weight",
         "mixing": "style_mixing_prob",
         "r1_interval": "r1_interval", "pl_interval": "pl_interval", "tick": "tick_kimg", "snap": "snapshot_ticks", "img_snap": "image_ticks",
         "keep": "keep_checkpoints", "grid": "grid_size", "seed": "seed", "device": "device", "threads": "num_threads"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a StyleGAN2 (CPU, GPU, or torchrun for many GPUs)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="dataset folder or zip (from 'ganforge dataset')")
    p.add_argument("--outdir", default="runs", help="parent folder of run folders (default: %(default)s)")
    p.add_argument("--cfg", default="auto", choices=list_presets(), help="preset (default: %(default)s)")
    p.add_argument("--kimg", type=float, help="training length in thousands of real images (default: the preset's)")
    p.add_argument("--batch", type=int, help="global batch size (default: the preset's)")
    p.add_argument("--batch-gpu", type=int, help="images per process per pass (gradient accumulation)")
    p.add_argument("--gamma", type=float, help="R1 weight (default: the preset's; auto = 0.0002 res^2 / batch)")
    p.add_argument("--glr", type=float, help="G learning rate")
    p.add_argument("--dlr", type=float, help="D learning rate")
    p.add_argument("--ema", type=float, help="G_ema half-life in kimg")
    p.add_argument("--cbase", type=int, help="channel base (capacity)")
    p.add_argument("--cmax", type=int, help="max channels")
    p.add_argument("--map", type=int, help="mapping network depth")
    p.add_argument("--loss", help="adversarial loss (default: nonsaturating)")
    p.add_argument("--pl-weight", type=float, help="path-length weight (0 disables; default 2)")
    p.add_argument("--r1-interval", type=int, help="lazy R1 every N D steps (default 16)")
    p.add_argument("--pl-interval", type=int, help="lazy path-length every N G steps (default 4)")
    p.add_argument("--mixing", type=float, help="style-mixing probability (default 0.9)")
    p.add_argument("--mirror", action="store_true", help="add x-flipped images")
    p.add_argument("--cond", action="store_true", help="class-conditional from the dataset labels")
    p.add_argument("--tick", type=float, help="kimg per tick (log line, stats; default 4)")
    p.add_argument("--snap", type=int, help="checkpoint every N ticks (default 50)")
    p.add_argument("--img-snap", type=int, help="sample grid every N ticks (default 1)")
    p.add_argument("--keep", type=int, help="keep the newest K checkpoints (0 = all; default 5)")
    p.add_argument("--grid", type=int, help="sample grid side (default 8 = 64 images)")
    p.add_argument("--seed", type=int, help="random seed (default 0)")
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N (default auto)")
    p.add_argument("--threads", type=int, help="CPU threads for torch")
    p.add_argument("--resume", help="latest | checkpoint file | run folder: continue that run exactly")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-tensorboard", action="store_true", help="no TensorBoard event files")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    values = {field: getattr(args, flag) for flag, field in FLAGS.items() if getattr(args, flag) is not None}
    values.update(mirror=args.mirror, cond=args.cond, progress=not args.no_progress,
                  tensorboard=not args.no_tensorboard)
    return TrainConfig.from_dict(values)


def run(args: argparse.Namespace) -> int:
    from ganforge.train import loop, setup
    from ganforge.train.distributed import DistEnv, resolve_device

    cfg = config_from_args(args)
    if args.dry_run:
        if args.resume:
            from ganforge.train.checkpoint import load_checkpoint, resolve_resume

            ckpt = load_checkpoint(resolve_resume(args.resume, cfg.outdir), verify=False)
            cfg = setup.for_resume(cfg, ckpt.config, {"kimg": cfg.kimg, "device": cfg.device})
        env = DistEnv(device=resolve_device(cfg.device))
        cfg = setup.resolve(cfg, setup.open_dataset(cfg), env)
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    result = loop.train(cfg, resume=args.resume)
    if result.last_checkpoint is not None:
        print(f"\nrun folder:  {result.run_dir}\ncheckpoint:  {result.last_checkpoint}\n"
              f"samples:     {result.run_dir}/fakes*.png\n"
              f"continue:    ganforge train --outdir {cfg.outdir} --resume {result.run_dir} --kimg <more>\n"
              f"TensorBoard: tensorboard --logdir {cfg.outdir}\n"
              f"generate:    ganforge generate --network {result.last_checkpoint} --seeds 0-63 --grid --outdir out")
    return 0
