"""``ganforge metrics``: evaluate a trained network (official ``calc_metrics.py`` flags).

Names: fid50k_full, kid50k_full, pr50k3_full, is50k, ppl_wend, ppl2_wend (weight files needed), and the weight-free
swd<N>k, rfid<N>k, rkid<N>k (any size, e.g. swd1k, rfid10k); see docs/metrics.md. Results print as JSON lines and
are appended to metric-<name>.jsonl next to the checkpoint (or in --outdir). Real-image features are cached per
dataset + protocol in $GANFORGE_CACHE/metrics (default ~/.cache/ganforge/metrics).

examples:
  # weight-free, on CPU
  ganforge metrics --network runs/00000-emoji-32-cpu --data runs/datasets/emoji-32.zip --metrics swd1k,rfid1k

  # the published-table protocol (needs the Inception weights; never downloaded)
  ganforge metrics --network ffhq.pkl --data ffhq-256.zip --metrics fid50k_full,kid50k_full \\
      --inception ~/weights/pt_inception-2015-12-05-6726825d.pth --device cuda
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

from ganforge.inference.loaded import load
from ganforge.metrics.names import parse_metric_list
from ganforge.metrics.registry import MetricOptions, append_metric_record, compute_metrics, headline

DEFAULT_METRIC = "swd1k"
"""Weight-free, so that ``ganforge metrics`` works offline; FID needs the Inception weights (never downloaded)."""


def add_metric_weight_args(p: argparse.ArgumentParser) -> None:
    """Weight-file and cache flags shared by ``metrics`` and ``train``."""
    p.add_argument("--inception", default=None, metavar="FILE",
                   help="FID Inception weights (.pth from pytorch-fid/torch-fidelity or NVIDIA's .pt); "
                        "default $GANFORGE_INCEPTION")
    p.add_argument("--vgg16", default=None, metavar="FILE", help="VGG16 weights for pr/ppl; default $GANFORGE_VGG16")
    p.add_argument("--lpips", default=None, metavar="FILE", help="LPIPS v0.1 heads (vgg.pth) for ppl; "
                                                                  "default $GANFORGE_LPIPS")
    p.add_argument("--metrics-cache", default=None, metavar="DIR",
                   help="real-feature cache folder (default $GANFORGE_CACHE/metrics or ~/.cache/ganforge/metrics)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("metrics", help="evaluate a network: FID, KID, PR, IS, PPL, SWD, rFID, ...",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH",
                   help="checkpoint, run folder (its newest checkpoint), official .pkl or rosinality .pt")
    p.add_argument("--metrics", default=DEFAULT_METRIC,
                   help="comma-separated metric names (default: %(default)s, weight-free; for FID give "
                        "--metrics fid50k_full --inception FILE)")
    p.add_argument("--data", default=None, help="reference dataset (folder or zip); default: the run's --data")
    p.add_argument("--outdir", default=None, help="where metric-<name>.jsonl goes (default: next to the checkpoint)")
    p.add_argument("--seed", type=int, default=0, help="seed of latents, slices and subsets (default: %(default)s)")
    p.add_argument("--batch", type=int, default=32, help="images per pass (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for the feature networks")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="torch device (default: %(default)s)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    add_metric_weight_args(p)


def run(args: argparse.Namespace) -> int:
    names = parse_metric_list(args.metrics)
    if not names:
        raise ValueError("--metrics is empty")
    net = load(args.network, device=args.device)
    from ganforge.train.migrate import migrate_config

    data = args.data or (migrate_config(net.config).get("data", {}).get("path") if net.config else None) or None
    if data and not Path(data).exists():
        raise ValueError(f"reference dataset {data} not found (pass --data)")
    opts = MetricOptions(data=data, device=args.device, batch_size=args.batch, seed=args.seed,
                         cache_dir=args.metrics_cache, inception=args.inception, vgg16=args.vgg16, lpips=args.lpips,
                         num_threads=args.threads, progress=args.progress)
    match = re.search(r"network-snapshot-(\d+)", net.path.name)
    kimg = float(match.group(1)) if match else None
    outdir = Path(args.outdir) if args.outdir else net.path.parent
    for record in compute_metrics(names, net.G, opts, network=str(net.path), kimg=kimg):
        path = append_metric_record(outdir, record)
        print(json.dumps({"metric": record["metric"], "results": record["results"],
                          "total_time": round(record["total_time"], 2)}))
        print(f"{record['metric']}: {headline(record):.4f}  (appended to {path})")
    return 0
