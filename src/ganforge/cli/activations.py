"""``ganforge activations``: feature-map mosaics of every synthesis block for a seed (forward hooks).

With ``--spikes`` it also measures the droplet artefact: per layer, the largest spatial feature magnitude over the
median (explore/droplets.py), averaged over the seeds, printed as a table and written to ``spikes.json`` and
``spikes.png`` (a bar chart), and per seed ``seedNNNN-magnitude.png``: each layer's feature magnitude map (a droplet
is one bright dot on a dark map).

Writes ``seedNNNN-b4.png`` ... ``seedNNNN-b{R}.png`` (one grey tile per channel, each normalised on
its own), ``seedNNNN-img.png`` (the image) and ``seedNNNN-all.png`` (all of them side by side).

examples:
  ganforge activations --network runs/00000-emoji --seeds 0 --outdir out/act
  ganforge activations --network runs/00000-emoji --seeds 0-7 --spikes --outdir out/act
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from ganforge.explore.activations import activation_figure, activation_mosaics
from ganforge.explore.droplets import layer_features, magnitude_maps, spike_bar_chart, spike_ratio, spike_table
from ganforge.explore.latents import ws_from_seeds
from ganforge.inference.loaded import load
from ganforge.utils.images import save_png
from ganforge.utils.seeds import parse_seeds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("activations", help="per-block feature-map mosaics for seeds",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--seeds", default="0", help="seeds, one set of mosaics each (default: %(default)s)")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation psi (default: %(default)s)")
    p.add_argument("--noise-mode", choices=["const", "random", "none"], default="const")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--tile", type=int, default=32, help="on-screen size of one channel tile in px (default: %(default)s)")
    p.add_argument("--max-channels", type=int, default=64, help="channels shown per block (default: %(default)s)")
    p.add_argument("--spikes", action="store_true",
                   help="also print the droplet spike ratio per layer (max / median feature magnitude) and write "
                        "spikes.json and spikes.png")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    if args.tile < 1 or args.max_channels < 1:
        raise ValueError("--tile and --max-channels must be >= 1")
    net = load(args.network, device=args.device)
    outdir = Path(args.outdir)
    written = []
    for seed in seeds:
        ws = ws_from_seeds(net.G, [seed], psi=args.trunc, class_idx=args.class_idx)
        mosaics = activation_mosaics(net.G, ws, noise_mode=args.noise_mode, tile=args.tile,
                                     max_channels=args.max_channels)
        for name, mosaic in mosaics.items():
            written.append(save_png(mosaic, outdir / f"seed{seed:04d}-{name}.png"))
        written.append(save_png(activation_figure(mosaics), outdir / f"seed{seed:04d}-all.png"))
    print(f"network: {net.path}")
    if args.spikes:
        ws = torch.cat([ws_from_seeds(net.G, [seed], psi=args.trunc, class_idx=args.class_idx) for seed in seeds])
        feats = layer_features(net.G, ws, noise_mode=args.noise_mode)
        ratios = {key: spike_ratio(x) for key, x in feats.items()}
        print(f"droplet spike ratios over {len(seeds)} seed(s):")
        print(spike_table(ratios))
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "spikes.json").write_text(json.dumps(ratios, indent=2) + "\n")
        spike_bar_chart(ratios, outdir / "spikes.png")
        for i, seed in enumerate(seeds):  # per layer the magnitude map (coarse to fine): a droplet is one bright dot
            save_png(magnitude_maps(feats, tile=args.tile * 2, sample=i), outdir / f"seed{seed:04d}-magnitude.png")
        print(f"wrote {outdir / 'spikes.json'}, {outdir / 'spikes.png'} and seedNNNN-magnitude.png")
    print(f"wrote {len(written)} PNG(s) to {outdir}/ ({written[0].name} ... {written[-1].name})")
    return 0
