"""``ganforge project``: find the latent of target images (W, W+, optional noise maps and PTI).

Follows the StyleGAN2 projector as the paper describes it (Appendix D): Adam from the mean w (or
the nearest W-cluster centroid, ``--init centroid``), a linear lr ramp-up and cosine ramp-down,
decaying noise on w, and optimised noise maps under an autocorrelation penalty. The distance is
LPIPS-VGG when ``--lpips-vgg`` and ``--lpips-heads`` are given, else pixel MSE + small multi-scale
SSIM + features of the trained discriminator (weight-free). ``--pti`` then fine-tunes G around the
found pivot (Roich et al. 2021). Outputs are listed in docs/explore.md.

examples:
  ganforge project --network runs/00000-emoji --target face.png --steps 500 --outdir out/proj
  ganforge project --network ckpt.safetensors --target holdout.zip --max-images 8 --space w+ --save-video proj.mp4
  ganforge project --network ckpt.safetensors --target a.png b.png --pti --pti-steps 200 --outdir out/pti
"""

from __future__ import annotations

import argparse

import torch

from ganforge.explore.clusters import load_centroids
from ganforge.explore.distance import make_distance
from ganforge.explore.project import SPACES, nearest_centroid
from ganforge.explore.project_run import run_projection
from ganforge.explore.targets import load_images
from ganforge.inference.generate import class_labels
from ganforge.inference.loaded import load
from ganforge.models.network import generator_caps


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("project", help="project images into W / W+ (optional noise, PTI)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--network", required=True, metavar="PATH", help="checkpoint file or run folder")
    p.add_argument("--target", required=True, nargs="+", metavar="PATH", help="image file(s), folder(s) or zip(s)")
    p.add_argument("--max-images", type=int, default=None, help="project at most this many targets")
    p.add_argument("--space", choices=SPACES, default=None, help="w: one w; w+: one w per layer; z: the input latent "
                   "(default: w, or z for a generator without a mapping network, e.g. r3gan, dcgan)")
    p.add_argument("--steps", type=int, default=1000, help="optimisation steps (default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate (default: %(default)s)")
    p.add_argument("--no-noise-opt", action="store_true", help="keep the stored noise instead of optimising noise maps")
    p.add_argument("--noise-reg", type=float, default=1e5, help="noise regulariser weight (default: %(default)g)")
    p.add_argument("--init", choices=["mean", "centroid"], default="mean", help="start at the mean w or the nearest "
                                                                                "centroid of --centroids")
    p.add_argument("--centroids", default=None, metavar="FILE", help="centroids.npz from `ganforge clusters`")
    p.add_argument("--lpips-vgg", default=None, metavar="FILE", help="VGG16 weights for LPIPS")
    p.add_argument("--lpips-heads", default=None, metavar="FILE", help="LPIPS v0.1 heads (vgg.pth)")
    p.add_argument("--d-weight", type=float, default=0.1, help="weight of D features in the weight-free distance, "
                                                               "0 = pixel + SSIM only (default: %(default)s)")
    p.add_argument("--pti", action="store_true", help="pivotal tuning of G after projection")
    p.add_argument("--pti-steps", type=int, default=350, help="PTI steps (default: %(default)s)")
    p.add_argument("--pti-lr", type=float, default=3e-4, help="PTI learning rate (default: %(default)s)")
    p.add_argument("--save-video", default=None, metavar="NAME", help="progress video, e.g. proj.mp4 or proj.gif")
    p.add_argument("--scale", type=int, default=1, help="nearest-neighbour upscaling of compare.png (default: %(default)s)")
    p.add_argument("--class", dest="class_idx", type=int, default=None, metavar="IDX", help="class of a conditional network")
    p.add_argument("--seed", type=int, default=0, help="seed of the random draws (default: %(default)s)")
    p.add_argument("--outdir", default="out", help="output folder (default: %(default)s)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")


def run(args: argparse.Namespace) -> int:
    if args.steps < 1 or (args.pti and args.pti_steps < 1):
        raise ValueError("--steps and --pti-steps must be >= 1")
    if args.init == "centroid" and args.centroids is None:
        raise ValueError("--init centroid needs --centroids FILE (from `ganforge clusters`)")
    net = load(args.network, device=args.device)
    G = net.G
    space = args.space or ("w" if generator_caps(G).has_mapping else "z")
    if space == "z" and args.init == "centroid":
        raise ValueError("--init centroid starts from a W centroid; it needs a W space (this projection is into z)")
    targets, names = load_images(args.target, resolution=G.img_shape, channels=G.img_channels,
                                 max_images=args.max_images)
    distance, distance_name = make_distance(lpips_vgg=args.lpips_vgg, lpips_heads=args.lpips_heads, D=net.D,
                                            d_weight=args.d_weight, device=net.device)
    lpips = distance if distance_name == "lpips-vgg" else None
    w_init = None
    if args.init == "centroid":
        w_init = nearest_centroid(G, targets, load_centroids(args.centroids, G.w_dim), distance)
    c = class_labels(G.c_dim, args.class_idx, 1, net.device)
    settings = {k: v for k, v in vars(args).items() if isinstance(v, (str, int, float, bool, list, type(None)))}
    config = dict(net.config)
    config["model"] = net.model_config.to_dict()
    report = run_projection(G, targets, names, args.outdir, distance=distance, distance_name=distance_name, lpips=lpips,
                            pti_steps=args.pti_steps if args.pti else 0, pti_lr=args.pti_lr, video=args.save_video,
                            network_config=config, settings=settings, figure_scale=max(1, args.scale),
                            space=space, steps=args.steps,
                            initial_lr=args.lr, optimize_noise=not args.no_noise_opt,
                            regularize_noise_weight=args.noise_reg, w_init=w_init, c=c, seed=args.seed)
    print(f"network: {net.path}")
    for stage, summary in report["summary"].items():
        print(f"{stage}: " + ", ".join(f"{k} {v:.4f}" for k, v in summary.items()))
    latents = "projected_z.npz (z: this generator has no W space)" if space == "z" else "projected_w.npz"
    print(f"wrote {latents}, compare.png, report.json to {args.outdir}/ ({len(names)} target(s), {distance_name})")
    return 0
