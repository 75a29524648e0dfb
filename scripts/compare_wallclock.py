"""Train several ``ganforge train`` configurations for the same wall-clock budget, one after the other on a quiet
machine, and plot their metric curves against training time (evaluation time excluded) with sample grids at the same
minutes.

    python scripts/compare_wallclock.py --data runs/datasets/emoji-32.zip --outdir runs/r3gan-vs-sg2 --minutes 15 \\
        --run stylegan2-cpu="--cfg cpu" --run r3gan-cpu="--cfg r3gan-cpu"

With ``--offline`` (recommended on a CPU) the runs train without evaluating (every tick writes a checkpoint instead)
and the metrics are computed afterwards on the checkpoints (``--metrics`` on every one, ``--sparse-metrics`` on every
``--sparse-every``-th and the last), so the wall-clock budget is all training.

Writes ``<outdir>/<name>/`` run folders, ``<outdir>/curves-<metric>.png``, ``<outdir>/grids.png`` (rows: runs,
columns: the grids nearest to each of ``--grid-minutes``) and ``<outdir>/summary.json`` (per run: s/kimg, kimg reached,
parameters, the metric values at each evaluation with their training minutes).
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.compare.plots import labelled_row, line_plot


def train(name: str, flags: str, args: argparse.Namespace) -> Path:
    outdir = Path(args.outdir) / name
    evaluation = (["--snap", "1", "--keep", "0"] if args.offline else
                  ["--metric-ticks", "1", "--metrics", args.metrics, "--snap", "1000000", "--keep", "1"])
    cmd = [sys.executable, "-m", "ganforge.cli.main", "train", "--data", args.data, "--outdir", str(outdir),
           "--kimg", "100000", "--tick", str(args.tick), *evaluation, "--threads", str(args.threads), "--seed", "0",
           "--no-progress", "--device", "cpu", *shlex.split(flags)]
    print("$", " ".join(cmd), flush=True)
    # SIGINT ends a run cleanly; a shell's background job inherits it ignored, so restore the default in the child
    proc = subprocess.Popen(cmd, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        proc.wait(timeout=args.minutes * 60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
    return next(outdir.glob("0*-*"))


def evaluate_offline(run_dir: Path, args: argparse.Namespace) -> None:
    """``ganforge metrics`` on the run's checkpoints (their records go to the run folder, keyed by kimg)."""
    from ganforge.train.checkpoint import find_checkpoints

    snaps = find_checkpoints(run_dir)
    jobs = [(snap, args.metrics) for snap in snaps]
    if args.sparse_metrics:
        picked = set(snaps[::args.sparse_every]) | {snaps[-1]}
        jobs += [(snap, args.sparse_metrics) for snap in snaps if snap in picked]
    for snap, metrics in jobs:
        cmd = [sys.executable, "-m", "ganforge.cli.main", "metrics", "--network", str(snap), "--metrics", metrics,
               "--data", args.data, "--threads", str(args.threads), "--no-progress", "--device", "cpu"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def read_run(run_dir: Path, offline: bool = False) -> dict:
    """Training minutes (total time minus metric evaluation) at each tick, and the metrics against them."""
    ticks, metrics, eval_sec = [], {}, 0.0
    rows = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines() if line.strip()]
    for row in rows:
        if "Timing/total_sec" in row:
            ticks.append((row["kimg"], row["Timing/total_sec"]))
    for path in sorted(run_dir.glob("metric-*.jsonl")):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            # in-loop records carry the tick's kimg; `ganforge metrics` records the snapshot name's whole kimg, so
            # offline the snapshot file name (network-snapshot-KKKKKK[_NNN]) gives the exact kimg of sub-kimg ticks
            kimg, part = rec["kimg"], ""
            if offline and "network" in rec:
                whole, _, part = Path(rec["network"]).stem.removeprefix("network-snapshot-").partition("_")
                kimg = int(whole) + (int(part) / 1000 if part else 0.0) if whole.isdigit() else kimg
            sec = next((t for k, t in ticks if abs(k - kimg) < 1e-6 or (offline and int(k) == kimg and not part)),
                       None)
            if sec is None:
                continue
            eval_sec += 0.0 if offline else rec["total_time"]
            metrics.setdefault(rec["metric"], []).append((kimg, (sec - eval_sec) / 60, rec["results"][rec["metric"]]))
    minutes = {k: t / 60 for k, t in ticks}
    return {"ticks": ticks, "metrics": metrics, "minutes": minutes,
            "sec_per_kimg": [r["Timing/sec_per_kimg"] for r in rows if "Timing/sec_per_kimg" in r][1:]}


def grid_at(run_dir: Path, minutes: dict[float, float], target: float) -> tuple[float, np.ndarray] | None:
    best = None
    for png in run_dir.glob("fakes0*.png"):  # fakesKKKKKK.png, or fakesKKKKKK_NNN.png within a kimg (--tick < 1)
        whole, _, part = png.stem.removeprefix("fakes").partition("_")
        kimg = int(whole) + (int(part) / 1000 if part else 0.0)
        m = minutes.get(min(minutes, key=lambda k: abs(k - kimg))) if minutes else None
        if m is not None and (best is None or abs(m - target) < abs(best[0] - target)):
            best = (m, png)
    if best is None:
        return None
    with Image.open(best[1]) as img:
        arr = np.asarray(img.convert("RGB"))
    return best[0], arr[: arr.shape[0] // 2, : arr.shape[1] // 2]  # the top-left quarter: 16 of 64 samples


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--outdir", required=True)
    p.add_argument("--minutes", type=float, default=15)
    p.add_argument("--run", action="append", required=True, metavar="NAME=FLAGS")
    p.add_argument("--metrics", default="swd1k,rfid1k")
    p.add_argument("--offline", action="store_true", help="train without evaluating; evaluate the checkpoints after")
    p.add_argument("--sparse-metrics", default="", help="(--offline) metrics evaluated on fewer checkpoints")
    p.add_argument("--sparse-every", type=int, default=2)
    p.add_argument("--tick", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--grid-minutes", default="5,10,15")
    p.add_argument("--plot-only", action="store_true", help="re-plot existing runs")
    args = p.parse_args()
    runs = dict(spec.split("=", 1) for spec in args.run)
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    dirs = {}
    for name, flags in runs.items():
        if args.plot_only:
            dirs[name] = next((out / name).glob("0*-*"))
        else:
            t0 = time.time()
            dirs[name] = train(name, flags, args)
            print(f"{name}: {time.time() - t0:.0f} s", flush=True)
    if args.offline and not args.plot_only:
        for name, d in dirs.items():
            t0 = time.time()
            evaluate_offline(d, args)
            print(f"{name}: evaluated in {time.time() - t0:.0f} s", flush=True)
    data = {name: read_run(d, args.offline) for name, d in dirs.items()}
    summary = {}
    for name, d in data.items():
        cfg = json.loads((dirs[name] / "config.json").read_text())
        spk = d["sec_per_kimg"]
        summary[name] = {"flags": runs[name], "run_dir": str(dirs[name]), "kimg": d["ticks"][-1][0] if d["ticks"] else 0,
                         "median_sec_per_kimg": float(np.median(spk)) if spk else None,
                         "model": cfg["model"], "metrics": d["metrics"]}
    for metric in [m for m in (args.metrics + "," + args.sparse_metrics).split(",") if m]:
        series = {name: ([m for _, m, _ in d["metrics"].get(metric, [])], [v for *_, v in d["metrics"].get(metric, [])])
                  for name, d in data.items()}
        Image.fromarray(line_plot(series, title=f"{metric} vs training minutes (same machine, {args.threads} threads)",
                                  xlabel="training minutes (evaluation excluded)", ylabel=metric)).save(
            out / f"curves-{metric}.png")
    rows = []
    for name, d in data.items():
        cells = [grid_at(dirs[name], d["minutes"], float(m)) for m in args.grid_minutes.split(",")]
        rows.append(labelled_row([(f"{name} @ {c[0]:.1f} min", c[1]) for c in cells if c is not None]))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    Image.fromarray(np.concatenate(rows, axis=0)).save(out / "grids.png")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: {kk: v for kk, v in s.items() if kk != "metrics"} for k, s in summary.items()}, indent=2))


if __name__ == "__main__":
    main()
