"""``ganforge convert IN OUT``: foreign network files -> ganforge checkpoints, and ganforge -> rosinality ``.pt``.

IN is any network file ``ganforge.open_networks`` reads (official NVIDIA ``.pkl``, rosinality
``.pt``/``.pth``, a ganforge checkpoint or run folder; nothing in it is executed). By default OUT is
a ganforge ``.safetensors`` checkpoint holding its G / D / G_ema (no optimizer state); with
``--to rosinality`` it is a rosinality-layout ``.pt`` for the tools built on rosinality/stylegan2-pytorch.

examples:
  ganforge convert stylegan2-ffhq-config-f.pt ffhq.safetensors
  ganforge convert runs/00003-emoji --to rosinality emoji.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganforge.compat.rosinality import export_rosinality, rosinality_channel_multiplier
from ganforge.inference.open import open_networks

TARGETS = {"ganforge": (".safetensors",), "rosinality": (".pt", ".pth")}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert",
                       help="convert network files (official .pkl / rosinality .pt -> ganforge, ganforge -> rosinality)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="IN", help="network file (.pkl, .pt/.pth, .safetensors) or ganforge run folder")
    p.add_argument("output", metavar="OUT", help="file to write (.safetensors, or .pt with --to rosinality)")
    p.add_argument("--to", choices=sorted(TARGETS), default="ganforge", help="output format (default: %(default)s)")


def _check_output(args: argparse.Namespace) -> Path:
    out = Path(args.output)
    if out.suffix.lower() not in TARGETS[args.to]:
        raise ValueError(f"{out}: a {args.to} file must end with {' or '.join(TARGETS[args.to])}")
    if Path(args.input).exists() and out.exists() and out.resolve() == Path(args.input).resolve():
        raise ValueError(f"{out}: the output would overwrite the input")
    return out


def run(args: argparse.Namespace) -> int:
    out = _check_output(args)
    networks = open_networks(args.input)
    if args.to == "ganforge" and networks.kind == "ganforge":
        raise ValueError(f"{networks.path}: already a ganforge checkpoint (convert .pkl/.pt files to ganforge, "
                         "or ganforge to rosinality with --to rosinality)")
    if args.to == "ganforge":
        networks.save(out)
        cfg = networks.model_config
        print(f"wrote {out}: ganforge checkpoint with {', '.join(networks.names)} "
              f"({cfg.name}, {cfg.img_resolution}x{cfg.img_resolution}, from {networks.source} {networks.path})")
        for key in ("w_avg", "noise_const"):  # what the file did not hold and was filled in
            if key in networks.metadata and "from the file" not in networks.metadata[key]:
                print(f"note: {key}: {networks.metadata[key]}")
        return 0
    nets = networks.networks()
    G, G_ema = nets.get("G"), nets.get("G_ema")
    if G is None:
        G, G_ema = G_ema, None
    export_rosinality(G, out, D=nets.get("D"), G_ema=G_ema)
    keys = ["g_ema"] if G_ema is None else ["g", "g_ema"]
    keys += ["d"] * ("D" in nets) + ["latent_avg", "args"]
    print(f"wrote {out}: rosinality checkpoint with {', '.join(keys)} (from {networks.source} {args.input})")
    if rosinality_channel_multiplier(G) is None:
        print("note: this channel layout is no rosinality channel_multiplier (512 channels up to 32x32, then "
              "256*m at 64x64, ...): ganforge reads the file back, rosinality's Generator cannot be built for it")
    if getattr(G.synthesis.b4.conv1, "conv_clamp", None) is not None:
        print("note: rosinality has no conv_clamp; the clamp of this network is dropped")
    return 0
