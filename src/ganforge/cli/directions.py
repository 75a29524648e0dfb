"""``ganforge directions``: semantic directions in W, SeFa (closed form) or GANSpace (PCA of sampled w).

Writes ``directions.npz`` (``directions [K, w_dim]`` unit vectors, ``values``, ``scales`` = standard deviation of w
along each, ``layers``, ``method``) and ``directions.png``: one row per direction, one column per step from
``-range`` to ``+range`` standard deviations, applied to the ws of ``--layers`` of ``--seed``'s latent.
``ganforge serve`` computes the same directions for its sliders.

examples:
  ganforge directions --network runs/00000-emoji --method sefa --layers coarse --num 8 --outdir out/sefa
  ganforge directions --network ckpt.safetensors --method ganspace --layers 0-5 --num 10 --steps 9 --range 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from ganforge.explore.directions import METHODS, compute_directions, direction_ws, save_directions
from ganforge.explore.latents import ws_from_seeds
from ganforge.explore.style_mixing import parse_styles
from ganforge.explore.video import upscale
from ganforge.inference.generate import class_labels
from ganforge.inference.loaded import load
from ganforge.models.network import require_mapping
from ganforge.utils.images import make_grid, save_png, to_uint8


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("directions", help="semantic directions in W (SeFa, GANSpace): .npz + figure",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--method", choices=list(METHODS), default="sefa", help="default: %(default)s")
    p.add_argument("--layers", default="all", help="ws indices the directions act on: 0-3, coarse/middle/fine or all "
                                                   "(default: %(default)s)")
    p.add_argument("--num", type=int, default=8, metavar="N", help="number of directions (default: %(default)s)")
    p.add_argument("--num-samples", type=int, default=5000, help="w samples: GANSpace's PCA and the scales "
                                                                  "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the figure's latent and of the samples (default: %(default)s)")
    p.add_argument("--steps", type=int, default=7, help="columns of the figure (default: %(default)s)")
    p.add_argument("--range", dest="amount", type=float, default=3.0, metavar="SIGMAS",
                   help="the figure spans -SIGMAS..+SIGMAS standard deviations (default: %(default)s)")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation psi of the figure's latent")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    p.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling of the figure (default: %(default)s)")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    if args.steps < 1 or args.scale < 1:
        raise ValueError(f"--steps and --scale must be >= 1, got {args.steps} and {args.scale}")
    net = load(args.network, device=args.device)
    G = net.G
    require_mapping(G, f"{args.method} directions")
    layers = parse_styles(args.layers, G.num_ws, G.img_resolution)
    c = class_labels(G.c_dim, args.class_idx, 1, net.device)
    directions = compute_directions(G, args.method, layers, args.num, num_samples=args.num_samples, seed=args.seed, c=c)
    outdir = Path(args.outdir)
    npz = save_directions(outdir / "directions.npz", directions, seed=args.seed, num_samples=args.num_samples)
    ws = ws_from_seeds(G, [args.seed], psi=args.trunc, class_idx=args.class_idx)  # [1, num_ws, w_dim]
    steps = np.linspace(-args.amount, args.amount, args.steps) if args.steps > 1 else [0.0]
    with torch.no_grad():
        imgs = to_uint8(G.synthesis(direction_ws(G, ws, directions, steps), noise_mode=args.noise_mode))
    png = save_png(make_grid(upscale(imgs, args.scale), cols=len(steps), pad=2), outdir / "directions.png")
    print(f"network: {net.path}")
    print(f"wrote {npz} ({args.num} {args.method} directions on layers {list(directions.layers)}; "
          f"values {[round(v, 3) for v in directions.values.tolist()]})")
    print(f"wrote {png} ({args.num} rows x {len(steps)} steps from {-args.amount:g} to {args.amount:g} sigma)")
    return 0
