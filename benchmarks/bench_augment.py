"""Cost of the discriminator augmentation itself: ADA presets and DiffAugment, per batch and per kimg.

Protocol: images ``[batch, 3, res, res]`` in [-1, 1], fp32, ``--threads`` threads (1 by default), median of
``--repeats`` timed calls after ``--warmup`` untimed ones, for each ADA preset at ``--p`` (1 = every op on every
image: the worst case) and for DiffAugment (always on). ``fwd`` is a forward call; ``fwd+bwd`` also backpropagates
to the images (what the G step and R1 pay). The training loop augments about three batches per minibatch (Dmain
fakes + reals without input gradients, Gmain fakes with them; R1 every 16th), so the added cost is estimated as
``1000 / batch * (2 * fwd + fwd+bwd)`` seconds per kimg, printed next to a StyleGAN2 D forward+backward of the same
batch for scale (``--cfg`` preset's D). Prints a table and one JSON record (``--json PATH`` also writes it).

    python benchmarks/bench_augment.py                       # all presets + diffaug at 32 px, p = 1
    python benchmarks/bench_augment.py --res 64 --p 0.3 --pipes bgc,diffaug
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from bench_generator import cpu_name, emit_record  # same folder: run as a script

from ganforge.augment import build_augment, list_augpipes
from ganforge.models import build_discriminator, model_config


def time_call(fn, x: torch.Tensor, repeats: int, warmup: int, backward: bool) -> float:
    """Median seconds of ``fn(x)`` (+ backward to ``x``) over ``repeats`` calls, with fresh random draws."""
    times = []
    for i in range(warmup + repeats):
        torch.manual_seed(i)
        inp = x.detach().requires_grad_(backward)
        t0 = time.perf_counter()
        out = fn(inp)
        if backward:
            out.square().sum().backward()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipes", default=",".join(list_augpipes() + ["diffaug"]), help="comma-separated presets")
    parser.add_argument("--p", type=float, default=1.0, help="augmentation probability for the ADA presets")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--res", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", default=None, help="also write the JSON record to this path")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    x = torch.rand([args.batch, 3, args.res, args.res], generator=torch.Generator().manual_seed(0)) * 2 - 1
    D = build_discriminator(model_config("stylegan2", img_resolution=args.res, channel_base=4096, channel_max=128,
                                         mbstd_group_size=4))
    d_time = time_call(lambda img: D(img), x, args.repeats, args.warmup, backward=True)
    record = {"benchmark": "augment", "machine": {"cpu": cpu_name(), "platform": platform.platform(),
                                                  "python": platform.python_version()},
              "torch": torch.__version__, "threads": torch.get_num_threads(), "batch": args.batch, "res": args.res,
              "p": args.p, "repeats": args.repeats, "d_fwd_bwd_s_per_batch": d_time, "results": []}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {record['machine']['cpu']}; batch {args.batch} "
          f"at {args.res} px, p = {args.p}; D (cpu preset) fwd+bwd {d_time * 1000:.1f} ms/batch")
    print(f"{'pipe':8s} {'fwd ms':>8s} {'fwd+bwd ms':>11s} {'est. s/kimg':>11s} {'vs D fwd+bwd':>12s}")
    for name in args.pipes.split(","):
        pipe = build_augment("diffaug" if name == "diffaug" else "fixed", augpipe=name if name != "diffaug" else "bgc",
                             p=args.p)
        fwd = time_call(pipe, x, args.repeats, args.warmup, backward=False)
        fwd_bwd = time_call(pipe, x, args.repeats, args.warmup, backward=True)
        per_kimg = 1000 / args.batch * (2 * fwd + fwd_bwd)
        print(f"{name:8s} {fwd * 1000:8.2f} {fwd_bwd * 1000:11.2f} {per_kimg:11.2f} {fwd_bwd / d_time:11.2f}x")
        record["results"].append({"pipe": name, "fwd_s": fwd, "fwd_bwd_s": fwd_bwd, "est_s_per_kimg": per_kimg})
    emit_record(record, args.json)


if __name__ == "__main__":
    main()
