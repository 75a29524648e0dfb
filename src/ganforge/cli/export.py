"""``ganforge export``: a trained generator as an ONNX model (standard ops, dynamic batch axis).

``--part full`` takes ``z`` (and ``c`` for conditional networks) and bakes truncation in;
``--part synthesis`` takes ``ws: [batch, num_ws, w_dim]``. Noise is baked in (``const`` = the stored
noise, as ``ganforge generate`` uses by default, or ``none``). Needs ``pip install 'ganforge[onnx]'``.

examples:
  ganforge export --network runs/00003-emoji --format onnx --out emoji.onnx --psi 0.7
  ganforge export --network ffhq.pt --format onnx --part synthesis --out ffhq-synthesis.onnx
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ganforge.export.onnx import MIN_OPSET, NOISE_MODES, PARTS, export_onnx, onnx_input_names
from ganforge.inference.loaded import load


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a trained generator (ONNX)", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH",
                   help="checkpoint, run folder (newest checkpoint) or importable file (.pt, ...)")
    p.add_argument("--format", choices=["onnx"], default="onnx", help="output format (default: %(default)s)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file, e.g. g.onnx")
    p.add_argument("--part", choices=PARTS, default="full",
                   help="full: z[, c] -> img; synthesis: ws -> img (default: %(default)s)")
    p.add_argument("--psi", type=float, default=1.0, help="truncation psi baked into --part full, 1 = off (default: %(default)s)")
    p.add_argument("--trunc-cutoff", type=int, default=None, metavar="N", help="truncate only the first N ws (default: all)")
    p.add_argument("--noise-mode", choices=NOISE_MODES, default="const", help="baked-in noise (default: %(default)s)")
    p.add_argument("--opset", type=int, default=MIN_OPSET, help="ONNX opset, >= %(default)s (default: %(default)s)")


def run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    net = load(args.network, device="cpu")
    G = net.G
    path = export_onnx(G, Path(args.out), part=args.part, truncation_psi=args.psi, truncation_cutoff=args.trunc_cutoff,
                       noise_mode=args.noise_mode, opset=args.opset)
    shapes = {"z": f"[batch, {G.z_dim}]", "c": f"[batch, {G.c_dim}]"}
    if args.part == "synthesis":
        shapes["ws"] = f"[batch, {G.num_ws}, {G.w_dim}]"
    inputs = ", ".join(f"{name} {shapes[name]}" for name in onnx_input_names(G, args.part))
    print(f"network: {net.path}")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB, opset {args.opset}, {time.perf_counter() - t0:.1f} s): "
          f"{inputs} -> img [batch, {G.img_channels}, {G.img_shape[0]}, {G.img_shape[1]}] float32 in about [-1, 1]")
    return 0
