"""``ganforge preview``: a sample grid from a freshly initialised (untrained) StyleGAN2 generator.

A smoke test of the install and of the network code (no dataset, no weights needed); the grid shows the
structured noise an untrained StyleGAN2 produces. To train one, see ``ganforge train --help``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from ganforge.models import build_generator, model_config
from ganforge.utils.images import make_grid, save_png, to_uint8
from ganforge.utils.seeds import parse_seeds, z_from_seeds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preview", help="sample grid from an untrained StyleGAN2 G (install check)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--outdir", default="runs/preview", help="output folder (default: %(default)s)")
    p.add_argument("--resolution", type=int, default=32, help="image resolution, a power of two (default: %(default)s)")
    p.add_argument("--channels", type=int, default=3, help="image channels 1-4 (default: %(default)s)")
    p.add_argument("--seeds", default="0-15", help="seeds, e.g. 0-15 or 1,5,9 (default: %(default)s)")
    p.add_argument("--init-seed", type=int, default=0, help="seed of the network's random init (default: %(default)s)")
    p.add_argument("--trunc", type=float, default=1.0, help="truncation psi (default: %(default)s)")
    p.add_argument("--noise-mode", choices=["random", "const", "none"], default="const")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    device = torch.device(args.device)
    cfg = model_config("stylegan2", img_resolution=args.resolution, img_channels=args.channels,
                       z_dim=256, w_dim=256, mapping_layers=2, channel_base=16384, channel_max=256)
    torch.manual_seed(args.init_seed)
    G = build_generator(cfg).eval().to(device)
    t0 = time.perf_counter()
    with torch.no_grad():
        img = G(z_from_seeds(seeds, G.z_dim, device), truncation_psi=args.trunc, noise_mode=args.noise_mode)
    dt = time.perf_counter() - t0
    outdir = Path(args.outdir)
    grid = save_png(make_grid(to_uint8(img)), outdir / "preview-grid.png")
    cfg.to_json(outdir / "config.json")
    print(f"wrote {grid} ({len(seeds)} images at {args.resolution}x{args.resolution} in {dt:.2f} s on {device}) and {outdir / 'config.json'}")
    return 0
