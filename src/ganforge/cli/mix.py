"""``ganforge mix``: the style-mixing figure (Karras et al. 2019, Figure 3).

Rows and columns are seeds; cell (r, c) is row r's image with column c's styles at the chosen layers.
Layers: indices (``0-3,6``) or presets ``coarse`` / ``middle`` / ``fine`` (see docs/explore.md).

examples:
  ganforge mix --network runs/00000-emoji --rows 85,100,75 --cols 55,821,1789 --styles 0-3 --outdir out/mix
  ganforge mix --network ckpt.safetensors --rows 0-4 --cols 10-14 --styles coarse,middle --trunc 0.7
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganforge.explore.style_mixing import parse_styles, style_mixing_grid
from ganforge.explore.video import upscale
from ganforge.inference.loaded import load
from ganforge.models.network import require_mapping
from ganforge.utils.images import save_png
from ganforge.utils.seeds import parse_seeds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mix", help="style-mixing figure: row seeds x column seeds at chosen layers",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--rows", required=True, help="row seeds (their images keep the other styles), e.g. 85,100")
    p.add_argument("--cols", required=True, help="column seeds (their styles are copied in), e.g. 55,821")
    p.add_argument("--styles", default="0-6", help="layers from the columns: indices 0-6, or coarse/middle/fine "
                                                  "(comma-separated; default: %(default)s)")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation psi (default: %(default)s)")
    p.add_argument("--trunc-cutoff", type=int, default=None, metavar="N", help="truncate only the first N ws")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--name", default="stylemix.png", help="file name of the figure (default: %(default)s)")
    p.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling of the figure (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    rows, cols = parse_seeds(args.rows), parse_seeds(args.cols)
    net = load(args.network, device=args.device)
    require_mapping(net.G, "style mixing")
    layers = parse_styles(args.styles, net.G.num_ws, net.G.img_resolution)
    grid = style_mixing_grid(net.G, rows, cols, layers, psi=args.trunc, truncation_cutoff=args.trunc_cutoff,
                             noise_mode=args.noise_mode, class_idx=args.class_idx)
    if args.scale < 1:
        raise ValueError(f"--scale must be >= 1, got {args.scale}")
    path = save_png(upscale(grid[None], args.scale)[0], Path(args.outdir) / args.name)
    print(f"network: {net.path}")
    print(f"wrote {path} ({len(rows)} rows x {len(cols)} columns, styles {layers} of 0-{net.G.num_ws - 1})")
    return 0
