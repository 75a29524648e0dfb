"""Sample strips of generators with a movable input (docs/stylegan3.md, "StyleGAN2 vs StyleGAN3 equivariance").

    python scripts/equivariance_strips.py NETWORK [NETWORK ...] --out strips.png [--seeds 0-3] [--labels a,b]
    python scripts/equivariance_strips.py --init-of RUN_DIR --out init.safetensors

Rows: seeds (per network, networks stacked with a gap); columns: as drawn, moved right by 1/8 and 1/4 of the image,
moved down by 1/8, rotated by 30, 60, 90 and 180 degrees (``G.set_transform``, i.e. ``generate --translate
--rotate``), const noise, upscaled 2x (nearest). ``--init-of`` writes the run's networks as ``train()`` builds them
before the first step (same seed), so that metrics can be taken at initialisation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from PIL import Image

COLUMNS = [((0.0, 0.0), 0.0), ((0.125, 0.0), 0.0), ((0.25, 0.0), 0.0), ((0.0, 0.125), 0.0), ((0.0, 0.0), 30.0),
           ((0.0, 0.0), 60.0), ((0.0, 0.0), 90.0), ((0.0, 0.0), 180.0)]


def write_init(run_dir: Path, out: Path) -> None:
    import json

    from ganforge.models import build_discriminator, build_generator
    from ganforge.train.checkpoint import save_checkpoint
    from ganforge.train.config import TrainConfig

    cfg = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    torch.manual_seed(cfg.run.seed)  # as train.setup builds G, then D; G_ema is a copy of G
    G = build_generator(cfg.model.arch).eval()
    D = build_discriminator(cfg.model.arch, cfg.model.d)
    opts = {"G": torch.optim.Adam(G.parameters()), "D": torch.optim.Adam(D.parameters())}
    save_checkpoint(out, modules={"G": G, "D": D, "G_ema": G}, optimizers=opts, config=cfg.to_dict(),
                    state={"cur_nimg": 0})


@torch.no_grad()
def strips(network: str, seeds: list[int], scale: int = 2, gap: int = 4) -> np.ndarray:
    from ganforge.inference import open_networks
    from ganforge.inference.transform import set_input_transform

    G = open_networks(network).G.eval()
    z = torch.from_numpy(np.stack([np.random.RandomState(s).randn(G.z_dim) for s in seeds])).float()
    ws = G.mapping(z, None)
    cols = []
    for translate, angle in COLUMNS:
        set_input_transform(G, translate, angle)
        cols.append(G.synthesis(ws, noise_mode="const"))
    set_input_transform(G, (0.0, 0.0), 0.0)
    imgs = ((torch.stack(cols, 1).clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # [S, 8, C, H, W]
    S, K, _, H, W = imgs.shape
    canvas = np.full((S * (H * scale + gap) - gap, K * (W * scale + gap) - gap, 3), 255, np.uint8)
    for i in range(S):
        for j in range(K):
            tile = imgs[i, j].permute(1, 2, 0).numpy().repeat(scale, 0).repeat(scale, 1)
            y, x = i * (H * scale + gap), j * (W * scale + gap)
            canvas[y:y + H * scale, x:x + W * scale] = tile[..., :3]
    return canvas


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("networks", nargs="*")
    p.add_argument("--init-of", type=Path, help="run folder: write its networks at initialisation to --out")
    p.add_argument("--seeds", default="0-3")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.init_of:
        write_init(args.init_of, args.out)
        return
    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    panels = [strips(n, seeds) for n in args.networks]
    sep = np.full((12, panels[0].shape[1], 3), 255, np.uint8)
    out = panels[0]
    for panel in panels[1:]:
        out = np.concatenate([out, sep, panel])
    Image.fromarray(out).save(args.out)


if __name__ == "__main__":
    main()
