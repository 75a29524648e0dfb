"""Benchmark of the metric math: FID matrix square root at d = 2048 and ProGAN SWD at 64².

Usage:
    python benchmarks/bench_metrics.py                     # full: d=2048, 4096 vs 4096 images at 64²
    python benchmarks/bench_metrics.py --swd-images 512    # quick run

Prints one line per measurement and a final JSON record (machine, torch version, threads, median of repeats).
Targets: FID sqrt <= 2 s, SWD 4096 vs 4096 at 64² <= 20 s (`--swd-numpy` also times the NumPy-sort fallback).
Also: FID Inception-v3 img/s (REFERENCE: 9.5 img/s).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from ganforge.metrics.fid import feature_stats, trace_sqrt_product
from ganforge.metrics.swd import native_available, swd


def _median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def _inception_like_stats(dim: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Covariance of ReLU features of a 256-d latent through a shared map plus noise (REFERENCE Part 2 §3)."""
    rng = np.random.default_rng(seed)
    mix = np.random.default_rng(0).standard_normal((256, dim)) / 16
    feats = np.maximum(rng.standard_normal((n, 256)) @ mix, 0) + 0.1 * rng.standard_normal((n, dim))
    return feature_stats(feats)[1]


def bench_fid_sqrt(dim: int, n: int, repeats: int) -> dict[str, object]:
    s1, s2 = _inception_like_stats(dim, n, 1), _inception_like_stats(dim, n, 2)
    ours, ours_all = _median_time(lambda: trace_sqrt_product(s1, s2), repeats)
    record: dict[str, object] = {"dim": dim, "n": n, "eigh_trick_s": ours, "eigh_trick_all_s": ours_all}
    try:
        from scipy import linalg
    except ImportError:
        return record
    value = trace_sqrt_product(s1, s2)
    ref_time, ref_all = _median_time(lambda: linalg.sqrtm(s1 @ s2), max(1, repeats // 2))
    record.update(scipy_sqrtm_s=ref_time, scipy_sqrtm_all_s=ref_all)
    record["abs_diff_vs_sqrtm"] = abs(value - float(np.trace(linalg.sqrtm(s1 @ s2).real)))
    return record


def bench_swd(num_images: int, res: int, repeats: int, sorter: str | None = None) -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    real = torch.randint(0, 256, (num_images, 3, res, res), dtype=torch.uint8, generator=g)
    fake = torch.randint(0, 256, (num_images, 3, res, res), dtype=torch.uint8, generator=g)
    result: dict[str, float] = {}
    if sorter is None:
        sorter = "native" if native_available() else "numpy"

    def run() -> None:
        result.update(swd(real, fake, seed=0, sorter=sorter))

    median, all_times = _median_time(run, repeats)
    return {"num_images": num_images, "res": res, "sorter": sorter, "swd_s": median, "swd_all_s": all_times,
            "values": result}


def bench_inception(num_images: int, res: int, batch: int, repeats: int) -> dict[str, object]:
    """FID Inception-v3 throughput (the seeded random Inception: the same architecture and cost as the real one)."""
    from ganforge.backbones.random_inception import random_inception

    net = random_inception()
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (num_images, 3, res, res), dtype=torch.uint8, generator=g)

    def run() -> None:
        with torch.no_grad():
            for start in range(0, num_images, batch):
                net(images[start:start + batch])

    run()  # warm-up (oneDNN primitive creation)
    median, all_times = _median_time(run, repeats)
    return {"num_images": num_images, "res": res, "batch": batch, "img_per_s": num_images / median,
            "all_s": all_times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fid-dim", type=int, default=2048)
    parser.add_argument("--fid-samples", type=int, default=10_000, help="samples behind each covariance")
    parser.add_argument("--swd-images", type=int, default=4096)
    parser.add_argument("--swd-res", type=int, default=64)
    parser.add_argument("--inception-images", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: fid, swd, inception")
    parser.add_argument("--swd-numpy", action="store_true",
                        help="also time SWD with the NumPy-sort fallback (what users without a C compiler get)")
    args = parser.parse_args()

    record: dict[str, object] = {
        "machine": platform.machine(),
        "processor": platform.processor() or platform.node(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    skip = set(args.skip.split(","))
    if "fid" not in skip:
        fid = bench_fid_sqrt(args.fid_dim, args.fid_samples, args.repeats)
        print(f"FID sqrt d={args.fid_dim}: eigh trick {fid['eigh_trick_s']:.2f} s (target <= 2 s)", flush=True)
        if "scipy_sqrtm_s" in fid:
            print(f"  scipy sqrtm {fid['scipy_sqrtm_s']:.2f} s, |Δ trace| = {fid['abs_diff_vs_sqrtm']:.2e}", flush=True)
        record["fid_sqrt"] = fid
    if "swd" not in skip:
        sw = bench_swd(args.swd_images, args.swd_res, args.repeats)
        print(f"SWD {args.swd_images} vs {args.swd_images} at {args.swd_res}² ({sw['sorter']} sort): "
              f"{sw['swd_s']:.1f} s (target <= 20 s)", flush=True)
        record["swd"] = sw
        if args.swd_numpy:
            ref = bench_swd(args.swd_images, args.swd_res, max(1, args.repeats // 3), sorter="numpy")
            delta = max(abs(ref["values"][k] - v) / abs(v) for k, v in sw["values"].items())
            print(f"  NumPy sort fallback: {ref['swd_s']:.1f} s ({ref['swd_s'] / sw['swd_s']:.2f}x), "
                  f"max relative difference of the values {delta:.1e}", flush=True)
            record["swd_numpy"] = ref
    if "inception" not in skip:
        inc = bench_inception(args.inception_images, 32, 50, args.repeats)
        print(f"Inception-v3 (299², batch 50): {inc['img_per_s']:.1f} img/s", flush=True)
        record["inception"] = inc
    print(json.dumps(record))


if __name__ == "__main__":
    main()
