"""``ganforge interpolate``: a latent walk through seeds as an MP4 or GIF (and optional PNG frames).

``--space z`` slerps between the seeds' z (then maps to W); ``--space w`` lerps in W. ``--frames`` is
the number of frames per transition; ``--loop`` returns to the first seed. ``--grid 2x2`` makes four
walks at once: the seeds are split into 4 consecutive equal parts, one per cell. MP4 needs
``pip install 'ganforge[video]'``; GIF always works.

examples:
  ganforge interpolate --network runs/00000-emoji --seeds 0-5 --frames 24 --loop --outdir out/walk
  ganforge interpolate --network ckpt.safetensors --seeds 0-15 --grid 2x2 --space w --out walk.gif --scale 4
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganforge.explore.interpolate import interpolation_frames
from ganforge.explore.video import write_video
from ganforge.inference.loaded import load
from ganforge.utils.images import save_png
from ganforge.utils.seeds import parse_seeds


def _grid(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
        if w < 1 or h < 1:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(f"--grid must look like 2x2, got {text!r}") from None
    return w, h


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("interpolate", help="latent walk video (z-slerp or w-lerp) through seeds",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--seeds", required=True, help="keyframe seeds, e.g. 0-5 (split among the cells with --grid)")
    p.add_argument("--space", choices=["z", "w"], default="z", help="z: slerp of z; w: lerp of w (default: %(default)s)")
    p.add_argument("--frames", type=int, default=24, help="frames per transition (default: %(default)s)")
    p.add_argument("--loop", action="store_true", help="go back to the first seed at the end")
    p.add_argument("--grid", type=_grid, default=(1, 1), metavar="WxH", help="several walks at once (default: 1x1)")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation psi (default: %(default)s)")
    p.add_argument("--trunc-cutoff", type=int, default=None, metavar="N", help="truncate only the first N ws")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--fps", type=float, default=24.0, help="frames per second (default: %(default)s)")
    p.add_argument("--scale", type=int, default=4, help="nearest-neighbour upscaling of the video (default: %(default)s)")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--out", default="interpolation.mp4", help="video file name, .mp4 or .gif (default: %(default)s)")
    p.add_argument("--save-frames", action="store_true", help="also write every frame as frames/frameNNNNN.png")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    gw, gh = args.grid
    cells = gw * gh
    if len(seeds) % cells or len(seeds) // cells < 2:
        raise ValueError(f"--seeds: {len(seeds)} seeds cannot be split into {cells} walks of >= 2 seeds each "
                         f"(give a multiple of {cells})")
    if args.scale < 1:
        raise ValueError(f"--scale must be >= 1, got {args.scale}")
    per = len(seeds) // cells
    walks = [seeds[i * per:(i + 1) * per] for i in range(cells)]
    net = load(args.network, device=args.device)
    frames = interpolation_frames(net.G, walks, args.frames, space=args.space, loop=args.loop, psi=args.trunc,
                                  truncation_cutoff=args.trunc_cutoff, noise_mode=args.noise_mode,
                                  class_idx=args.class_idx, grid_cols=gw, progress=True)
    outdir = Path(args.outdir)
    path = write_video(frames, outdir / args.out, fps=args.fps, scale=args.scale)
    if args.save_frames:
        for i, f in enumerate(frames):
            save_png(f, outdir / "frames" / f"frame{i:05d}.png")
    print(f"network: {net.path}")
    print(f"wrote {path} ({len(frames)} frames, {cells} walk(s) of {per} seeds, {args.space}-space"
          f"{', looped' if args.loop else ''})" + (f" and {len(frames)} PNG frames" if args.save_frames else ""))
    return 0
