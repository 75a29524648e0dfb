"""``ganforge compare``: train a grid of runs (models x losses x regularisers) and write a comparison report.

Every run is an ordinary ``ganforge train`` run (TensorBoard events, stats.jsonl, sample grids, checkpoint) in
``OUTDIR/<model>_<loss>_<reg>/``; the report (``OUTDIR/report.md`` + PNG figures in ``OUTDIR/report/``) has the loss,
diagnostic and metric curves, the final samples side by side and a table of SWD / rFID (/ FID) and s/kimg.

examples:
  # the course assignment (DCGAN-CSP vs DCGAN-ResNet, several losses and regularisers) on the bundled emoji
  ganforge compare --preset assignment
  # the same on your own face dataset, longer
  ganforge compare --preset assignment --data ~/datasets/celeba-64.zip --kimg 200 --outdir runs/celeba-cmp
  # any grid; regularisers as NAME[:WEIGHT[:INTERVAL]] or none
  ganforge compare --data ds.zip --models dcgan,dcgan-csp --losses hinge,wgan-gp --regs none,r1:1:16,lecam:0.3
  # one run per GPU on a 4-GPU machine
  ganforge compare --preset assignment --data ffhq-64.zip --devices cuda:0,cuda:1,cuda:2,cuda:3
  # list the runs without training; rewrite the report from finished runs
  ganforge compare --preset assignment --dry-run
  ganforge compare --preset assignment --report-only
"""

from __future__ import annotations

import argparse
from pathlib import Path

# flag -> CompareConfig field
FLAGS = {"data": "data", "outdir": "outdir", "kimg": "kimg", "batch": "batch", "cbase": "channel_base",
         "cmax": "channel_max", "glr": "g_lr", "dlr": "d_lr", "ema": "ema_kimg", "tick": "tick_kimg",
         "metric_ticks": "metric_ticks", "seed": "seed", "device": "device", "threads": "num_threads"}
LISTS = {"models": "models", "losses": "losses", "regs": "regs", "final_metrics": "final_metrics"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ganforge.compare.grid import PRESETS

    p = sub.add_parser("compare", help="train a grid of models x losses x regularisers and write a comparison report",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", choices=PRESETS.names(), help="a named grid (assignment: the course assignment)")
    p.add_argument("--config", help="a compare.json written by an earlier run (its grid and options)")
    p.add_argument("--data", help="dataset folder or zip (default: the bundled emoji-32 dataset)")
    p.add_argument("--outdir", help="folder of the runs and the report")
    p.add_argument("--models", help="comma-separated model names (dcgan, dcgan-resnet, dcgan-csp, stylegan2)")
    p.add_argument("--losses", help="comma-separated adversarial losses (see docs/losses.md)")
    p.add_argument("--regs", help="comma-separated regularisers NAME[:WEIGHT[:INTERVAL]] or none")
    p.add_argument("--kimg", type=float, help="training length of each run")
    p.add_argument("--batch", type=int, help="batch size")
    p.add_argument("--cbase", type=int, help="channel base of the models")
    p.add_argument("--cmax", type=int, help="max channels of the models")
    p.add_argument("--glr", type=float, help="G learning rate")
    p.add_argument("--dlr", type=float, help="D learning rate")
    p.add_argument("--ema", type=float, help="G_ema half-life in kimg")
    p.add_argument("--tick", type=float, help="kimg per tick (stats, sample grid)")
    p.add_argument("--metric-ticks", type=int, help="evaluate the curve metric every N ticks")
    p.add_argument("--curve-metric", help="metric for the curves during training (default swd1k; 'none' = off)")
    p.add_argument("--final-metrics", help="metrics of the final networks (default rfid500; add fid10k with "
                   "Inception weights in $GANFORGE_INCEPTION)")
    p.add_argument("--seed", type=int, help="random seed of every run")
    p.add_argument("--device", help="cpu | cuda | cuda:N (runs one after another)")
    p.add_argument("--devices", help="comma-separated devices: one run per device at a time (e.g. cuda:0,cuda:1)")
    p.add_argument("--threads", type=int, help="CPU threads per run (default 1)")
    p.add_argument("--only", help="comma-separated run names: train only these cells")
    p.add_argument("--dry-run", action="store_true", help="list the runs and exit")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the finished runs")
    p.add_argument("--no-report", action="store_true", help="train only")
    p.add_argument("--report-dir", help="folder of the report figures (default OUTDIR/report)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace):
    import json

    from ganforge.compare.grid import CompareConfig, from_preset
    from ganforge.data.bundled import bundled_dataset_path

    values = {field: getattr(args, flag) for flag, field in FLAGS.items() if getattr(args, flag, None) is not None}
    for flag, field in LISTS.items():
        if getattr(args, flag, None):
            values[field] = tuple(v.strip() for v in getattr(args, flag).split(",") if v.strip())
    if args.no_progress:
        values["progress"] = False
    if args.config:
        base = CompareConfig.from_dict(json.loads(Path(args.config).read_text()))
        cc = base.replace(**values)
    else:
        cc = from_preset(args.preset, **values)
    if args.curve_metric is not None:  # after from_preset, which drops None (= not given) overrides
        cc = cc.replace(curve_metric=None if args.curve_metric.lower() == "none" else args.curve_metric)
    if not cc.data:
        cc = cc.replace(data=str(bundled_dataset_path()))
    return cc


def run(args: argparse.Namespace) -> int:
    from ganforge.compare.grid import expand
    from ganforge.compare.report import write_report
    from ganforge.compare.runner import result_path, run_grid

    cc = config_from_args(args)
    specs = expand(cc)
    if args.dry_run:
        for spec in specs:
            print(spec.name)
        print(f"{len(specs)} runs x {cc.kimg:g} kimg -> {cc.outdir}")
        return 0
    if args.report_only:
        import json

        records = [json.loads(result_path(cc, s).read_text()) for s in specs if result_path(cc, s).is_file()]
        if not records:
            raise ValueError(f"{cc.outdir}: no finished runs to report on (train them first)")
    else:
        devices = [d.strip() for d in args.devices.split(",")] if args.devices else None
        only = [n.strip() for n in args.only.split(",")] if args.only else None
        records = run_grid(cc, only=only, devices=devices)
    if not args.no_report:
        path = write_report(cc, records, args.report_dir)
        print(f"report: {path}")
    return 0
