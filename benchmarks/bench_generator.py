"""Generator forward throughput (img/s) for the REFERENCE Part 3 configs and StyleGAN3-T/R at 32 px.

Protocol (matches REFERENCE Part 3, "G forward"): batch 16, ``noise_mode='const'``, psi = 1,
eval mode, ``torch.no_grad()``, fp32, ``--threads`` threads (2 by default), median of
``--repeats`` timed runs after ``--warmup`` untimed runs. Prints a table and one JSON record
(machine, torch version, threads, per-config medians) to stdout, or to ``--json PATH``.

    python benchmarks/bench_generator.py                      # all configs
    python benchmarks/bench_generator.py --configs sg3-t-32,sg3-r-32
    python benchmarks/bench_generator.py --configs small-32 --modconv both
    python benchmarks/bench_generator.py --malloc both        # A/B: glibc defaults, then ganforge's setting

``--malloc on`` (default) applies what the ``ganforge`` command applies at start
(``ganforge.utils.allocator.keep_freed_memory``: freed pages of large tensors are reused, not page-faulted again).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Iterator

import torch

from ganforge.models import build_generator, model_config
from ganforge.models.stylegan2.generator import Generator
from ganforge.utils.allocator import keep_freed_memory

# The official network shapes of REFERENCE Part 3 (G kwargs of the measured official runs).
CONFIGS = {
    "small-32": dict(z_dim=256, w_dim=256, img_resolution=32, mapping_layers=2, channel_base=16384, channel_max=256),
    "small-64": dict(z_dim=256, w_dim=256, img_resolution=64, mapping_layers=2, channel_base=16384, channel_max=256),
    "paper256": dict(z_dim=512, w_dim=512, img_resolution=256, mapping_layers=8, channel_base=16384, channel_max=512),
}
# StyleGAN3 at the same 'small' widths (REFERENCE Part 1 sec. 6: res 32 gives L0_36_256 ... L14_32_3); R doubles G's.
SG3_CONFIGS = {
    "sg3-t-32": dict(cfg="t", z_dim=256, w_dim=256, img_resolution=32, channel_base=16384, channel_max=256),
    "sg3-r-32": dict(cfg="r", z_dim=256, w_dim=256, img_resolution=32, channel_base=16384, channel_max=256),
}
# Official StyleGAN2-ADA on this machine (REFERENCE Part 3): default (fused) path, best (non-fused) path
# (no official StyleGAN3 CPU numbers were measured: its custom ops need CUDA).
OFFICIAL_IMG_S = {"small-32": (30.2, 48.2), "small-64": (13.2, 15.7), "paper256": (2.2, 2.4),
                  "sg3-t-32": (None, None), "sg3-r-32": (None, None)}
TARGET_IMG_S = {"small-32": 70.0, "small-64": 24.0, "paper256": 3.5, "sg3-t-32": None, "sg3-r-32": None}


def build(name: str) -> torch.nn.Module:
    """The generator of config ``name``."""
    if name in SG3_CONFIGS:
        return build_generator(model_config("stylegan3", **SG3_CONFIGS[name]))
    return Generator(**CONFIGS[name])


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def emit_record(record: dict, path: str | None) -> None:
    """Print the JSON record, and also write it to ``path`` when given."""
    text = json.dumps(record, indent=2)
    print(text)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")


def add_malloc_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--malloc", choices=["on", "off", "both"], default="on",
                        help="keep freed memory for reuse as the ganforge command does (both: off first, then on)")


def malloc_settings(choice: str) -> Iterator[tuple[str, bool]]:
    """``(label, applied)`` per allocator setting to time: glibc defaults first, then ``keep_freed_memory``."""
    for label in {"on": ["on"], "off": ["off"], "both": ["off", "on"]}[choice]:
        yield label, keep_freed_memory(force=True) if label == "on" else False


def time_generator(G: torch.nn.Module, batch: int, repeats: int, warmup: int, fused: bool | None,
                   device: torch.device) -> list[float]:
    """Seconds per batch for ``repeats`` timed runs."""
    z = torch.randn([batch, G.z_dim], generator=torch.Generator().manual_seed(0)).to(device)
    times = []
    with torch.no_grad():
        for i in range(warmup + repeats):
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            G(z, noise_mode="const", fused_modconv=fused)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="small-32,small-64,paper256,sg3-t-32,sg3-r-32",
                        help="comma-separated names from %(default)s")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--modconv", choices=["auto", "fused", "nonfused", "both"], default="auto")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", default=None, help="also write the JSON record to this path")
    add_malloc_arg(parser)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    modes = {"auto": [None], "fused": [True], "nonfused": [False], "both": [None, True, False]}[args.modconv]
    record = {
        "benchmark": "generator_forward",
        "machine": {"cpu": cpu_name(), "platform": platform.platform(), "python": platform.python_version()},
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "device": str(device),
        "batch": args.batch,
        "repeats": args.repeats,
        "results": [],
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {record['machine']['cpu']}, device {device}")
    print(f"{'config':10s} {'modconv':8s} {'malloc':7s} {'median s/batch':>14s} {'img/s':>8s} {'official best':>13s} "
          f"{'ratio':>6s} {'target':>6s}")
    for malloc, applied in malloc_settings(args.malloc):
        for name in args.configs.split(","):
            torch.manual_seed(0)
            G = build(name).eval().to(device)
            for fused in modes:
                times = time_generator(G, args.batch, args.repeats, args.warmup, fused, device)
                med = statistics.median(times)
                img_s = args.batch / med
                best, target = OFFICIAL_IMG_S[name][1], TARGET_IMG_S[name]
                mode = {None: "auto", True: "fused", False: "nonfused"}[fused]
                official = ("-", "-") if best is None else (f"{best:.1f}", f"{img_s / best:.2f}")
                print(f"{name:10s} {mode:8s} {malloc:7s} {med:14.4f} {img_s:8.2f} {official[0]:>13s} {official[1]:>6s} "
                      f"{'-' if target is None else f'{target:.1f}':>6s}", flush=True)
                record["results"].append({"config": name, "modconv": mode, "malloc_tuning": applied,
                                          "median_s_per_batch": med, "img_per_s": img_s, "times_s": times,
                                          "official_default_img_s": OFFICIAL_IMG_S[name][0],
                                          "official_best_img_s": best, "target_img_s": TARGET_IMG_S[name]})
    emit_record(record, args.json)


if __name__ == "__main__":
    main()
