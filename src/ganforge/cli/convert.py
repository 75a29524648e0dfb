"""``ganforge convert IN OUT``: foreign network files -> ganforge checkpoints, and ganforge -> rosinality ``.pt``.

By default IN is any importable file (rosinality ``.pt``/``.pth``, ...; read without executing
anything) and OUT a ganforge ``.safetensors`` checkpoint holding its G / D / G_ema (no optimizer
state). With ``--to rosinality``, IN is a ganforge checkpoint or run folder (or any importable
file) and OUT a rosinality-layout ``.pt`` for the tools built on rosinality/stylegan2-pytorch.

examples:
  ganforge convert stylegan2-ffhq-config-f.pt ffhq.safetensors
  ganforge convert runs/00003-emoji --to rosinality emoji.pt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ganforge.compat import IMPORTERS, import_networks
from ganforge.compat.rosinality import export_rosinality, rosinality_channel_multiplier
from ganforge.inference.loaded import resolve_network
from ganforge.models import build_discriminator, build_generator
from ganforge.train.checkpoint import load_checkpoint

TARGETS = {"ganforge": (".safetensors",), "rosinality": (".pt", ".pth")}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("convert", help="convert network files (rosinality .pt -> ganforge, ganforge -> rosinality)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", metavar="IN", help="network file (or a ganforge run folder with --to rosinality)")
    p.add_argument("output", metavar="OUT", help="file to write (.safetensors, or .pt with --to rosinality)")
    p.add_argument("--to", choices=sorted(TARGETS), default="ganforge", help="output format (default: %(default)s)")


def read_networks(path: str | Path) -> tuple[dict[str, torch.nn.Module], str]:
    """The networks (``"G"``, ``"D"``, ``"G_ema"``) of a ganforge checkpoint/run folder or an importable file."""
    path = resolve_network(path)
    if path.suffix.lower() in IMPORTERS:
        imported = import_networks(path)
        return {name: imported.build(name) for name in imported.modules}, imported.source
    ckpt = load_checkpoint(path)
    cfg = ckpt.model_config()
    nets = {}
    for name, state in ckpt.modules.items():
        if name in ("G", "D", "G_ema"):
            net = (build_discriminator if name == "D" else build_generator)(cfg)
            net.load_state_dict(state)
            nets[name] = net.eval().requires_grad_(False)
    return nets, "ganforge"


def _check_output(args: argparse.Namespace) -> Path:
    out = Path(args.output)
    if out.suffix.lower() not in TARGETS[args.to]:
        raise ValueError(f"{out}: a {args.to} file must end with {' or '.join(TARGETS[args.to])}")
    if Path(args.input).exists() and out.exists() and out.resolve() == Path(args.input).resolve():
        raise ValueError(f"{out}: the output would overwrite the input")
    return out


def run(args: argparse.Namespace) -> int:
    out = _check_output(args)
    if args.to == "ganforge":
        imported = import_networks(args.input)
        imported.save(out)
        cfg = imported.model_config
        print(f"wrote {out}: ganforge checkpoint with {', '.join(imported.modules)} "
              f"({cfg.name}, {cfg.img_resolution}x{cfg.img_resolution}, from {imported.source} {imported.path})")
        for key in ("w_avg", "noise_const"):  # what the file did not hold and was filled in
            if key in imported.extra and "from the file" not in imported.extra[key]:
                print(f"note: {key}: {imported.extra[key]}")
        return 0
    nets, source = read_networks(args.input)
    G, G_ema = nets.get("G"), nets.get("G_ema")
    if G is None and G_ema is None:
        raise ValueError(f"{args.input}: holds no generator (it has {sorted(nets)})")
    if G is None:
        G, G_ema = G_ema, None
    export_rosinality(G, out, D=nets.get("D"), G_ema=G_ema)
    keys = ["g_ema"] if G_ema is None else ["g", "g_ema"]
    keys += ["d"] * ("D" in nets) + ["latent_avg", "args"]
    print(f"wrote {out}: rosinality checkpoint with {', '.join(keys)} (from {source} {args.input})")
    if rosinality_channel_multiplier(G) is None:
        print("note: this channel layout is no rosinality channel_multiplier (512 channels up to 32x32, then "
              "256*m at 64x64, ...): ganforge reads the file back, rosinality's Generator cannot be built for it")
    if getattr(G.synthesis.b4.conv1, "conv_clamp", None) is not None:
        print("note: rosinality has no conv_clamp; the clamp of this network is dropped")
    return 0
