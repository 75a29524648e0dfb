"""The droplet comparison of docs/stylegan1.md: spike ratios per layer of several runs, at initialisation and at their
last snapshot, as one Markdown table, a JSON record and a figure of feature-magnitude maps (one row per run).

    python scripts/droplet_compare.py RUN_A RUN_B --labels StyleGAN1,StyleGAN2 --seeds 0-31 --out docs/images/stylegan1

The initial network is rebuilt from the run's ``config.json`` exactly as training built it (``torch.manual_seed(seed)``
then G), so "init" is the same network the run started from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganforge.explore.droplets import layer_features, magnitude_maps, spike_ratio
from ganforge.inference import load
from ganforge.models import build_generator, model_config_from_dict
from ganforge.train.checkpoint import find_checkpoints


def latents(G, seeds: list[int]) -> torch.Tensor:
    z = torch.from_numpy(np.stack([np.random.RandomState(s).randn(G.z_dim) for s in seeds])).float()
    with torch.no_grad():
        return G.mapping(z, None)


def initial_generator(run_dir: Path) -> torch.nn.Module:
    config = json.loads((run_dir / "config.json").read_text())
    torch.manual_seed(config["run"]["seed"])
    return build_generator(model_config_from_dict(config["model"]["arch"])).eval()


TILE = 96


def save_figure(rows, layers: list[str], path: Path, sample) -> None:
    """Rows = runs; columns = ``layers`` (blank where a run lacks the layer), layer names on top; ``sample="all"``:
    the first four samples of each layer side by side instead of sample 0."""
    cols = [(layer, i) for layer in layers for i in (range(4) if sample == "all" else [0])]
    step, left, top = TILE + 6, 90, 16
    canvas = Image.new("RGB", (left + step * len(cols), top + len(rows) * step), "white")
    draw = ImageDraw.Draw(canvas)
    for j, (layer, i) in enumerate(cols):
        draw.text((left + j * step, 2), layer if sample != "all" else f"{layer} #{i}", fill="black")
    for r, (label, panels) in enumerate(rows):
        y = top + r * step
        draw.text((2, y + TILE // 2), label, fill="black")
        for j, (layer, i) in enumerate(cols):
            if layer in panels:
                canvas.paste(Image.fromarray(panels[layer][i][:, :TILE]), (left + j * step, y))
    canvas.save(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", type=Path)
    p.add_argument("--labels", required=True)
    p.add_argument("--seeds", default="0-31")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--noise-mode", default="none", help="noise inputs while measuring: none (default: the signal "
                   "path only; per-pixel noise would otherwise set the maximum of the finest layers), const, random")
    args = p.parse_args()
    torch.set_num_threads(1)
    lo, hi = (int(x) for x in args.seeds.split("-"))
    seeds = list(range(lo, hi + 1))
    labels = args.labels.split(",")
    table, record, rows = {}, {}, []
    for run, label in zip(args.runs, labels):
        last = find_checkpoints(run)[-1]
        for when, G in (("init", initial_generator(run)), ("trained", load(str(last), device="cpu").G)):
            feats = layer_features(G, latents(G, seeds), noise_mode=args.noise_mode)
            ratios = {k: spike_ratio(x) for k, x in feats.items()}
            table[f"{label} {when}"] = ratios
            record[f"{label} {when}"] = {"checkpoint": str(last) if when == "trained" else "init", "ratios": ratios}
            if when == "trained":  # per layer, the magnitude maps of the first four samples
                rows.append((label, {k: [magnitude_maps({k: v}, tile=TILE, sample=i) for i in range(4)]
                                     for k, v in feats.items()}))
    layers = sorted({k for r in table.values() for k in r}, key=lambda k: (int(k.split("/")[0][1:]), k))
    lines = ["| layer | " + " | ".join(table) + " |", "| --- |" + " --- |" * len(table)]
    for layer in layers:
        lines.append(f"| {layer} | " + " | ".join(f"{r[layer]:.2f}" if layer in r else "-" for r in table.values())
                     + " |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "droplets.md").write_text("\n".join(lines) + "\n")
    (args.out / "droplets.json").write_text(json.dumps({"seeds": args.seeds, "noise_mode": args.noise_mode,
                                                        "runs": record}, indent=2) + "\n")
    save_figure(rows, layers, args.out / "droplet-magnitudes.png", sample=None)
    save_figure(rows, [layers[-1]], args.out / "droplet-last-layer.png", sample="all")
    print("\n".join(lines))
    print(f"wrote {args.out / 'droplets.md'}, droplets.json and droplet-magnitudes.png")


if __name__ == "__main__":
    main()
