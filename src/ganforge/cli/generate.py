"""``ganforge generate``: images from a trained network, one PNG per seed (and/or a grid).

Seeds name images the way the official generate.py does (z = RandomState(seed).randn(z_dim)),
and each image depends only on its seed, not on --batch or on the other seeds (up to float
rounding: a pixel may rarely differ by one level between batch sizes).

examples:
  # 64 images from the newest checkpoint of a run, truncated, plus a grid
  ganforge generate --network runs/00003-emoji-32-stylegan2 --seeds 0-63 --trunc 0.7 --grid --outdir out/emoji

  # one file, class 3 of a conditional network, grid only
  ganforge generate --network runs/00004-cifar/network-snapshot-000500.safetensors --seeds 0-15 --class 3 --grid-only

  # multi-modal truncation toward the nearest W-cluster centroid (from `ganforge clusters`)
  ganforge generate --network runs/00003-emoji-32-stylegan2 --seeds 0-63 --trunc 0.5 --trunc-mode centroid --centroids out/clusters/centroids.npz --grid

  # StyleGAN3: move the content a quarter of the image right and rotate it by 30 degrees
  ganforge generate --network runs/00005-emoji-32-stylegan3-cpu --seeds 0-7 --translate 0.25,0 --rotate 30 --grid

  # render the latents found by `ganforge project`
  ganforge generate --network runs/00003-emoji-32-stylegan2 --projected-w out/proj/projected_w.npz
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from ganforge.inference.generate import generate_images
from ganforge.inference.loaded import load
from ganforge.inference.transform import parse_translate, set_input_transform
from ganforge.utils.images import make_grid, save_png, to_uint8
from ganforge.utils.seeds import parse_seeds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="images from a trained network (checkpoint file or run folder)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH",
                   help="checkpoint (.safetensors), run folder (its newest checkpoint), official NVIDIA .pkl "
                        "or rosinality .pt (read safely, nothing in the file is executed)")
    p.add_argument("--seeds", default="0-7", help="seeds, e.g. 0-63 or 1,5,9 (default: %(default)s)")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation psi, 1 = off (default: %(default)s)")
    p.add_argument("--trunc-cutoff", type=int, default=None, metavar="N",
                   help="truncate only the first N ws (default: all)")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const",
                   help="per-layer noise: stored constant, random per seed, or none (default: %(default)s)")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX",
                   help="class index, required for conditional networks")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--grid", action="store_true", help="also write grid.png with all seeds")
    p.add_argument("--grid-only", action="store_true", help="write only grid.png, no per-seed files")
    p.add_argument("--batch", type=int, default=32, help="images per forward pass (default: %(default)s)")
    p.add_argument("--trunc-mode", choices=["global", "centroid"], default="global",
                   help="truncate toward w_avg (global) or the nearest of --centroids (default: %(default)s)")
    p.add_argument("--centroids", default=None, metavar="FILE", help="centroids.npz from `ganforge clusters`")
    p.add_argument("--projected-w", default=None, metavar="FILE",
                   help="render the latents of projected_w.npz (from `ganforge project`) instead of --seeds")
    p.add_argument("--translate", default=None, metavar="X,Y",
                   help="StyleGAN3: move the content by X,Y image widths (x right, y down)")
    p.add_argument("--rotate", type=float, default=None, metavar="DEG", help="StyleGAN3: rotate the content by DEG degrees")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu",
                   help="torch device (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    t0 = time.perf_counter()
    translate = parse_translate(args.translate) if args.translate is not None else (0.0, 0.0)
    net = load(args.network, device=args.device)
    if args.translate is not None or args.rotate is not None:
        set_input_transform(net.G, translate, args.rotate or 0.0)
    if args.projected_w is not None:  # one image per projected latent, named projNNNN.png
        from ganforge.explore.npz import render_projected_w

        images = to_uint8(render_projected_w(net.G, args.projected_w, noise_mode=args.noise_mode))
        seeds = list(range(len(images)))
    elif args.trunc_mode == "centroid":
        if args.centroids is None:
            raise ValueError("--trunc-mode centroid needs --centroids FILE (from `ganforge clusters`)")
        from ganforge.explore.clusters import load_centroids

        images = generate_images(net.G, seeds, psi=args.trunc, truncation_cutoff=args.trunc_cutoff,
                                 noise_mode=args.noise_mode, class_idx=args.class_idx, batch_size=args.batch,
                                 centroids=load_centroids(args.centroids, net.G.w_dim).to(net.device)).numpy()
    else:
        images = net.generate(seeds, psi=args.trunc, truncation_cutoff=args.trunc_cutoff, noise_mode=args.noise_mode,
                              class_idx=args.class_idx, batch_size=args.batch).numpy()  # [N, H, W, C]
    outdir = Path(args.outdir)
    written = []
    if not args.grid_only:
        prefix = "proj" if args.projected_w is not None else "seed"
        written = [save_png(img, outdir / f"{prefix}{seed:04d}.png") for seed, img in zip(seeds, images)]
    grid = save_png(make_grid(images), outdir / "grid.png") if args.grid or args.grid_only else None
    dt = time.perf_counter() - t0
    print(f"network: {net.path}")
    from ganforge.models.growing import growth_stage

    stage = growth_stage(net.G)
    if stage is not None and (stage.fading or stage.resolution < stage.final_resolution):
        print(f"mid-growth snapshot: {stage.describe()}")
    if written:
        what = written[0].name if len(written) == 1 else f"{written[0].name} ... {written[-1].name}"
        print(f"wrote {len(written)} image(s) to {outdir}/ ({what})")
    if grid is not None:
        print(f"wrote {grid} ({len(seeds)} seeds)")
    print(f"{len(seeds)} image(s) at {images.shape[2]}x{images.shape[1]} in {dt:.2f} s on {net.device}")
    return 0
