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
  # a small dataset: adaptive discriminator augmentation (docs/augmentation.md)
  ganforge train --data emoji-300.zip --cfg cpu --aug ada --augpipe bgc --target 0.6
  # fine-tune a trained model on a new dataset, freezing D's two highest-resolution blocks
  ganforge train --data new.zip --cfg cpu --resume-from runs/00000-x/network-snapshot-000020.safetensors --freezed 2
  # print the resolved config and exit
  ganforge train --data datasets/emoji-32.zip --cfg auto --dry-run
"""

from __future__ import annotations

import argparse
import json

from ganforge.cli.metrics import add_metric_weight_args
from ganforge.metrics.names import parse_metric_list
from ganforge.models import list_models
from ganforge.train.config import TrainConfig
from ganforge.train.presets import apply_preset, list_presets

# flag -> (section, field) of TrainConfig (flags keep the official names where they exist)
FLAGS = {"data": ("data", "path"), "model": ("model", "family"), "d": ("model", "d"), "loss": ("loss", "adversarial"),
         "mixing": ("loss", "style_mixing_prob"), "aug": ("augment", "mode"), "p": ("augment", "p"),
         "target": ("augment", "target"), "augpipe": ("augment", "pipe"), "ada_kimg": ("augment", "speed_kimg"),
         "diffaug_policy": ("augment", "diffaug_policy"), "ema": ("optim", "ema_kimg"),
         "metric_ticks": ("metrics", "ticks"), "inception": ("metrics", "inception"), "vgg16": ("metrics", "vgg16"),
         "lpips": ("metrics", "lpips"), "metrics_cache": ("metrics", "cache"),
         "resume_from": ("transfer", "resume_from"), "freezed": ("transfer", "freezed"),
         "map_lr_mult": ("transfer", "mapping_lr_mult"), "outdir": ("run", "outdir"), "kimg": ("run", "kimg"),
         "batch": ("run", "batch"), "batch_gpu": ("run", "batch_gpu"), "tick": ("run", "tick_kimg"),
         "snap": ("run", "snapshot_ticks"), "img_snap": ("run", "image_ticks"), "keep": ("run", "keep_checkpoints"),
         "grid": ("run", "grid_size"), "seed": ("run", "seed"), "device": ("run", "device"),
         "threads": ("run", "num_threads")}
# flag -> field of the family's model config (checked against the family: a flag it has no field for is refused)
MODEL_FLAGS = {"cbase": "channel_base", "cmax": "channel_max", "map": "mapping_layers", "mbstd_group": "mbstd_group_size",
               "g_arch": "g_architecture", "d_arch": "d_architecture", "g_input": "input"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a StyleGAN2 (CPU, GPU, or torchrun for many GPUs)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="dataset folder or zip (from 'ganforge dataset')")
    p.add_argument("--outdir", default="runs", help="parent folder of run folders (default: %(default)s)")
    p.add_argument("--cfg", choices=list_presets(), help="preset (default: auto)")
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
    p.add_argument("--loss", help="adversarial loss: nonsaturating (default), minimax, wgan, wgan-gp, lsgan, lsgan-sym, "
                   "hinge, relativistic (docs/losses.md)")
    p.add_argument("--model", help=f"model family: {', '.join(list_models())} (default stylegan2)")
    p.add_argument("--d", help="discriminator by name (default: the family's own; docs/architecture.md)")
    p.add_argument("--d-opt", action="append", metavar="KEY=VALUE",
                   help="a discriminator option (repeatable), e.g. --d projected --d-opt weights=lite0.pth "
                   "--d-opt backbone_res=128 (docs/projected.md)")
    p.add_argument("--g-arch", choices=["orig", "skip", "resnet"], help="StyleGAN2 G architecture (default skip)")
    p.add_argument("--d-arch", choices=["orig", "skip", "resnet"], help="StyleGAN2 D architecture (default resnet)")
    p.add_argument("--g-input", choices=["const", "fourier"], help="StyleGAN2 G input: the learned 4x4 constant "
                   "(default) or StyleGAN3's Fourier features (movable: --translate/--rotate, EQ metrics)")
    p.add_argument("--mbstd-group", type=int, help="minibatch-std group size (default: the preset's, <= 4)")
    p.add_argument("--reg", action="append", metavar="NAME[:WEIGHT[:INTERVAL]]",
                   help="add a regulariser (repeatable or comma-separated): r1, r2, wgan_gp, dragan, dragan1, lecam, "
                   "pl; INTERVAL 0 = every step, k = lazy every k minibatches (e.g. --reg r2:1:16 --reg lecam:0.3)")
    p.add_argument("--r2", type=float, metavar="GAMMA", help="shortcut for --reg r2:GAMMA (R2 on fakes, lazy every 16)")
    p.add_argument("--sn", action="store_true", help="spectral norm on D (DCGAN-family models; D without batch norm)")
    p.add_argument("--growing", action="store_true",
                   help="progressive growing (progan, stylegan1): start at 4x4 and fade in each resolution along the "
                   "'growth' schedule (default fade 600 / stabilise 600 kimg; e.g. --schedule "
                   "growth=grow,fade_kimg=4,stabilize_kimg=4; docs/progan.md)")
    p.add_argument("--stage-batch", metavar="RES:BATCH,...",
                   help="with --growing: the global batch per growth stage, e.g. 4:64,8:64,16:32 (others: --batch)")
    p.add_argument("--schedule", action="append", metavar="TARGET=KIND[,key=value...]",
                   help="let a hyper-parameter follow a schedule of cur_nimg (repeatable): targets G.lr, D.lr, G.beta2, "
                   "D.beta2, reg.<name>, ema_kimg, augment.p, blur_sigma, growth; kinds constant, linear, cosine, "
                   "step, piecewise, grow (e.g. reg.r1=cosine,start=10,end=1,ramp_kimg=500; docs/training.md)")
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
    aug = p.add_argument_group("augmentation and transfer learning (docs/augmentation.md)")
    aug.add_argument("--aug", choices=["noaug", "ada", "fixed", "diffaug"],
                     help="D augmentation: ada (p tuned from r_t), fixed (p = --p), diffaug, noaug (default)")
    aug.add_argument("--p", type=float, help="initial (ada) or fixed augmentation probability (default 0)")
    aug.add_argument("--target", type=float, help="ADA target for r_t = E[sign(D(real))] (default 0.6)")
    aug.add_argument("--augpipe", help="ADA ops: blit, geom, color, filter, noise, cutout, bg, bgc (default), bgcf, "
                     "bgcfn, bgcfnc")
    aug.add_argument("--ada-kimg", type=float, help="ADA speed: kimg for p to go from 0 to 1 (default 500)")
    aug.add_argument("--diffaug-policy", help="DiffAugment policies (default color,translation,cutout)")
    aug.add_argument("--resume-from", help="start a NEW run from the weights of a checkpoint (.safetensors, .pkl, .pt)")
    aug.add_argument("--freezed", type=int, help="Freeze-D: keep the N highest-resolution D blocks fixed (default 0)")
    aug.add_argument("--map-lr-mult", type=float, help="extra Adam lr multiplier of G's mapping network for transfer "
                     "(e.g. 0.01; on top of the model's equalized-lr mapping multiplier)")
    met = p.add_argument_group("metrics during training (docs/metrics.md)")
    met.add_argument("--metrics", help="comma-separated metrics on G_ema, e.g. swd1k,rfid1k or fid50k_full "
                     "(default: none); written to metric-<name>.jsonl and TensorBoard")
    met.add_argument("--metric-ticks", type=int, help="evaluate every N ticks (default: with each snapshot)")
    add_metric_weight_args(met)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-tensorboard", action="store_true", help="no TensorBoard event files")
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")


def _regs(args: argparse.Namespace) -> list[dict]:
    """``--gamma``/``--r1-interval`` (R1), ``--pl-weight``/``--pl-interval`` (path length), ``--reg``, ``--r2`` ->
    regulariser entries (one spelling: ``--gamma 5`` is the entry ``r1:5``)."""
    from ganforge.losses.regularizers import parse_reg

    entries = []
    if args.gamma is not None or args.r1_interval is not None:
        entries.append({"name": "r1", "weight": args.gamma, "interval": args.r1_interval})
    if args.pl_weight is not None or args.pl_interval is not None:
        entries.append({"name": "pl", "weight": args.pl_weight, "interval": args.pl_interval})
    specs = [spec for group in (args.reg or []) for spec in group.split(",") if spec.strip()]
    if args.r2 is not None:
        specs.append(f"r2:{args.r2}")
    entries += [parse_reg(spec).to_dict() for spec in specs]
    return entries


def parse_stage_batch(text: str) -> list[list[int]]:
    """``"4:64,8:64,16:32"`` -> ``[[4, 64], [8, 64], [16, 32]]``."""
    try:
        pairs = [[int(x) for x in item.split(":")] for item in text.split(",") if item.strip()]
    except ValueError:
        pairs = []
    if not pairs or any(len(p) != 2 for p in pairs):
        raise ValueError(f"--stage-batch {text!r}: expected RES:BATCH,... e.g. 4:64,8:64,16:32")
    return pairs


def _d_options(specs: list[str]) -> dict:
    """``["key=value", ...]`` -> ``{key: value}``, each value read as JSON when it parses (numbers, null, true)."""
    import json

    out = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--d-opt wants KEY=VALUE, got {spec!r}")
        try:
            out[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            out[key.strip()] = text
    return out


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The flags laid over the preset (``--cfg``) as a sectioned ``TrainConfig`` (resolved later, with the dataset)."""
    from ganforge.train.schedules import parse_schedule

    values: dict = {"cfg": args.cfg or "auto"}
    for flag, (section, name) in FLAGS.items():
        if getattr(args, flag) is not None:
            values.setdefault(section, {})[name] = getattr(args, flag)
    overrides = {name: getattr(args, flag) for flag, name in MODEL_FLAGS.items() if getattr(args, flag) is not None}
    if args.sn:
        overrides["spectral_norm"] = True
    if args.growing:
        overrides["growing"] = True
    if overrides:
        values.setdefault("model", {})["overrides"] = overrides
    for net, lr in (("G", args.glr), ("D", args.dlr)):
        if lr is not None:
            values.setdefault("optim", {})[net] = {"lr": lr}
    if args.d_opt:
        values.setdefault("model", {})["d_options"] = _d_options(args.d_opt)
    values.setdefault("data", {}).update(cond=args.cond, mirror=args.mirror)
    values.setdefault("run", {}).update(progress=not args.no_progress, tensorboard=not args.no_tensorboard)
    regs = _regs(args)
    if regs:
        values.setdefault("loss", {})["regs"] = regs
    if args.metrics is not None:
        values.setdefault("metrics", {})["names"] = list(parse_metric_list(args.metrics))
    if args.schedule:
        values["schedules"] = [parse_schedule(spec).to_dict() for spec in args.schedule]
    if args.stage_batch:
        values["run"]["stage_batch"] = parse_stage_batch(args.stage_batch)
    family = values.get("model", {}).get("family", "stylegan2")
    return TrainConfig.from_dict(apply_preset(values, args.cfg or "auto", family))


def given_flags(args: argparse.Namespace) -> dict[str, tuple[str, object]]:
    """``"--flag" -> (dotted option, value)`` for the flags set on the command line (a resume checks them)."""
    given = {f"--{flag.replace('_', '-')}": (".".join(option), getattr(args, flag))
             for flag, option in FLAGS.items() if getattr(args, flag) is not None}
    given.update({f"--{flag.replace('_', '-')}": (f"model.arch.{name}", getattr(args, flag))
                  for flag, name in MODEL_FLAGS.items() if getattr(args, flag) is not None})
    for flag, value in (("cfg", args.cfg), ("glr", args.glr), ("dlr", args.dlr)):
        if value is not None:
            given[f"--{flag}"] = ({"cfg": "cfg", "glr": "optim.G.lr", "dlr": "optim.D.lr"}[flag], value)
    for flag, on, option in (("--mirror", args.mirror, "data.mirror"), ("--cond", args.cond, "data.cond"),
                             ("--sn", args.sn, "model.arch.spectral_norm"),
                             ("--growing", args.growing, "model.arch.growing")):
        if on:
            given[flag] = (option, True)
    if args.d_opt:
        given["--d-opt"] = ("model.d_options", _d_options(args.d_opt))
    for entry in _regs(args):
        given[f"--reg {entry['name']}"] = (f"loss.regs.{entry['name']}", entry)
    if args.stage_batch:
        given["--stage-batch"] = ("run.stage_batch", parse_stage_batch(args.stage_batch))
    if args.schedule:
        from ganforge.train.schedules import parse_schedule

        given["--schedule"] = ("schedules", [parse_schedule(spec).to_dict() for spec in args.schedule])
    return given


def run(args: argparse.Namespace) -> int:
    from ganforge.train import loop, setup
    from ganforge.train.distributed import DistEnv, resolve_device

    cfg = config_from_args(args)
    resume = args.resume
    if resume:
        from ganforge.data import ImageDataset
        from ganforge.train.checkpoint import load_checkpoint
        from ganforge.train.resume import check_unchanged, for_resume, pick_checkpoint

        wanted = ImageDataset(args.data).fingerprint() if resume == "latest" and args.data else None  # latest only
        path, notes = pick_checkpoint(resume, cfg.run.outdir, wanted)
        ckpt = load_checkpoint(path, verify=False)
        check_unchanged(given_flags(args), TrainConfig.from_dict(ckpt.config), path)
        resume = str(path)
        for note in notes:
            print(note)
    if args.dry_run:
        if resume:
            cfg = for_resume(cfg, ckpt.config)
        env = DistEnv(device=resolve_device(cfg.run.device))
        cfg = setup.resolve(cfg, setup.open_dataset(cfg), env)
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    result = loop.train(cfg, resume=resume)
    if result.last_checkpoint is not None:
        print(f"\nrun folder:  {result.run_dir}\ncheckpoint:  {result.last_checkpoint}\n"
              f"samples:     {result.run_dir}/fakes*.png\n"
              f"continue:    ganforge train --outdir {cfg.run.outdir} --resume {result.run_dir} --kimg <more>\n"
              f"TensorBoard: tensorboard --logdir {cfg.run.outdir}\n"
              f"generate:    ganforge generate --network {result.last_checkpoint} --seeds 0-63 --grid --outdir out")
    return 0
