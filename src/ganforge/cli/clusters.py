"""``ganforge clusters``: k-means of W, for multi-modal truncation (Mokady et al. 2022).

Samples ``--num-samples`` w = mapping(z), clusters them with k-means++ / Lloyd (seeded), and writes
``centroids.npz`` (``centroids [K, w_dim]``, ``counts [K]``, largest cluster first) and
``centroids.png`` (the image of each centroid). Use them with
``ganforge generate --trunc-mode centroid --centroids centroids.npz --trunc 0.5``.

examples:
  ganforge clusters --network runs/00000-emoji --num-clusters 16 --outdir out/clusters
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganforge.explore.clusters import sample_w_clusters, save_centroids
from ganforge.explore.video import upscale
from ganforge.inference.generate import class_labels
from ganforge.inference.loaded import load
from ganforge.models.network import require_mapping
from ganforge.utils.images import make_grid, save_png, to_uint8


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clusters", help="k-means of W: centroids for multi-modal truncation",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--num-clusters", type=int, default=16, metavar="K", help="clusters (default: %(default)s)")
    p.add_argument("--num-samples", type=int, default=10000, help="w samples to cluster (default: %(default)s)")
    p.add_argument("--iters", type=int, default=100, help="max Lloyd iterations (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the samples and of k-means++ (default: %(default)s)")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    p.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling of the figure (default: %(default)s)")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    net = load(args.network, device=args.device)
    G = net.G
    require_mapping(G, "W clusters")
    if args.num_samples < args.num_clusters:
        raise ValueError(f"--num-samples ({args.num_samples}) must be >= --num-clusters ({args.num_clusters})")
    c = class_labels(G.c_dim, args.class_idx, 1, net.device)
    centroids, counts = sample_w_clusters(G, args.num_clusters, num_samples=args.num_samples, seed=args.seed,
                                          iters=args.iters, c=c)
    outdir = Path(args.outdir)
    npz = save_centroids(outdir / "centroids.npz", centroids, counts, seed=args.seed, num_samples=args.num_samples)
    with torch.no_grad():
        imgs = to_uint8(G.synthesis(centroids[:, None, :].expand(-1, G.num_ws, -1), noise_mode=args.noise_mode))
    png = save_png(make_grid(upscale(imgs, max(1, args.scale)), pad=2), outdir / "centroids.png")
    print(f"network: {net.path}")
    print(f"wrote {npz} ({args.num_clusters} centroids of {args.num_samples} w; sizes {counts.tolist()})")
    print(f"wrote {png}")
    return 0
