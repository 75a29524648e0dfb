"""``ganforge detect``: was an image made by this generator? Score = PSNR after projection into W.

Generated images reconstruct almost exactly; real ones do not (Karras et al. 2020, section 5). Scores
go to ``scores.csv`` and ``scores.json`` in ``--outdir`` (higher = more likely generated). Score
``--images`` (files, folders, zips) and/or images generated from ``--seeds`` (quantised to uint8 as
saved PNGs would be). With ``--real-images`` the real set is scored too, the ``--images``/``--seeds``
set is taken as generated, and the ROC AUC of telling them apart is reported.

examples:
  ganforge detect --network runs/00000-emoji --images suspects/ --outdir out/detect
  ganforge detect --network runs/00000-emoji --seeds 1000-1099 --real-images holdout.zip --max-images 100 --steps 100
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import torch

from ganforge.explore.detect import detect_scores, roc_auc
from ganforge.explore.distance import make_distance
from ganforge.explore.targets import load_images
from ganforge.inference.loaded import load
from ganforge.utils.atomic import atomic_write_bytes
from ganforge.utils.seeds import parse_seeds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("detect", help="generated-or-real score per image, by projection (CSV/JSON, ROC AUC)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--images", nargs="+", default=None, metavar="PATH", help="images to score: files, folders or zips")
    p.add_argument("--seeds", default=None, help="also score images generated from these seeds (taken as generated)")
    p.add_argument("--real-images", nargs="+", default=None, metavar="PATH", help="known real images: report ROC AUC")
    p.add_argument("--max-images", type=int, default=None, help="at most this many images per set")
    p.add_argument("--trunc", type=float, default=1.0, metavar="PSI", help="truncation of the --seeds images")
    p.add_argument("--steps", type=int, default=100, help="projection steps (default: %(default)s)")
    p.add_argument("--space", choices=["w", "w+"], default="w", help="projection space (default: %(default)s)")
    p.add_argument("--no-noise-opt", action="store_true", help="do not optimise noise maps")
    p.add_argument("--d-weight", type=float, default=0.0,
                   help="D-feature weight of the distance; 0 = pixel + SSIM only, about 3x cheaper per step on CPU "
                        "(default: %(default)s)")
    p.add_argument("--lpips-vgg", default=None, metavar="FILE", help="VGG16 weights for an LPIPS distance")
    p.add_argument("--lpips-heads", default=None, metavar="FILE", help="LPIPS v0.1 heads (vgg.pth)")
    p.add_argument("--batch", type=int, default=16, help="images projected at once (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the projection's draws (default: %(default)s)")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    if args.images is None and args.seeds is None:
        raise ValueError("give --images and/or --seeds (the images to score)")
    net = load(args.network, device=args.device)
    G = net.G
    sets: list[tuple[str, torch.Tensor, list[str]]] = []
    if args.images is not None:
        sets.append(("images", *load_images(args.images, resolution=G.img_shape, channels=G.img_channels,
                                            max_images=args.max_images)))
    if args.seeds is not None:
        seeds = parse_seeds(args.seeds)[:args.max_images]
        imgs = net.generate(seeds, psi=args.trunc).permute(0, 3, 1, 2).contiguous()  # uint8 [N, C, H, W]
        sets.append(("generated", imgs, [f"seed{s:04d}" for s in seeds]))
    if args.real_images is not None:
        sets.append(("real", *load_images(args.real_images, resolution=G.img_shape, channels=G.img_channels,
                                          max_images=args.max_images)))
    distance, distance_name = make_distance(lpips_vgg=args.lpips_vgg, lpips_heads=args.lpips_heads, D=net.D,
                                            d_weight=args.d_weight, device=net.device)
    rows = []
    for kind, imgs, names in sets:
        scores = detect_scores(G, imgs, steps=args.steps, space=args.space, distance=distance, batch_size=args.batch,
                               seed=args.seed, optimize_noise=not args.no_noise_opt, progress=True)
        rows += [{"set": kind, "name": n, "score": s, "psnr": p, "ssim": q}
                 for n, s, p, q in zip(names, scores["score"], scores["psnr"], scores["ssim"])]
    summary = {"network": str(net.path), "distance": distance_name, "steps": args.steps, "space": args.space,
               "counts": {k: sum(r["set"] == k for r in rows) for k, _, _ in sets}}
    if args.real_images is not None:
        pos = [r["score"] for r in rows if r["set"] != "real"]
        neg = [r["score"] for r in rows if r["set"] == "real"]
        summary["roc_auc"] = roc_auc(pos, neg)
        summary["mean_score"] = {"generated": sum(pos) / max(1, len(pos)), "real": sum(neg) / max(1, len(neg))}
    out = Path(args.outdir)
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=["set", "name", "score", "psnr", "ssim"])
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_bytes(out / "scores.csv", text.getvalue().encode())
    atomic_write_bytes(out / "scores.json", (json.dumps({"summary": summary, "scores": rows}, indent=2) + "\n").encode())
    print(f"network: {net.path}")
    print(f"scored {len(rows)} image(s) ({distance_name}, {args.steps} steps in {args.space}); wrote {out}/scores.csv, scores.json")
    if "roc_auc" in summary:
        print(f"ROC AUC (generated vs real): {summary['roc_auc']:.4f}; mean PSNR generated "
              f"{summary['mean_score']['generated']:.2f} dB, real {summary['mean_score']['real']:.2f} dB")
    return 0
