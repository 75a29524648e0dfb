"""Figures and tables of docs/augmentation.md from the runs in runs/aug (see the doc for the commands).

    python scripts/augmentation_figures.py --runs runs/aug --data runs/datasets/emoji-300.zip

Reads each run's stats.jsonl and the metric-*.jsonl files written by ``ganforge metrics`` into
``runs/aug/metrics/<run>-<snapshot>/``; writes curves.png, ada_p.png, samples.png, augment_examples.png and
results.json next to this script. Curves are drawn with Pillow (no matplotlib needed).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageDraw

from ganforge.augment import AugmentPipe, AugmentSpec, DiffAugment, augpipe_spec
from ganforge.augment.leak import leak_report
from ganforge.data import ImageDataset
from ganforge.inference import generate_images, load
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.utils.atomic import atomic_write_bytes
from ganforge.utils.images import make_grid, save_png, to_uint8

OUT = Path(__file__).resolve().parents[1] / "docs" / "images" / "augmentation"
RUNS = ("noaug", "ada", "diffaug", "fixed03")
LABELS = {"noaug": "noaug", "ada": "ADA (bgc)", "diffaug": "DiffAugment", "fixed03": "fixed p=0.3 (bgc)"}
COLORS = {"noaug": (200, 40, 40), "ada": (30, 110, 220), "diffaug": (40, 160, 60), "fixed03": (150, 80, 180)}


def run_dir(root: Path, name: str) -> Path:
    return next((root / name).glob("00000-*"))


def metric_points(root: Path, name: str, metric: str, key: str) -> list[tuple[float, float]]:
    """(kimg, value) for every evaluated snapshot of run ``name``."""
    points = []
    for folder in sorted((root / "metrics").glob(f"{name}-*")):
        path = folder / f"metric-{metric}.jsonl"
        if not path.exists():
            continue
        ckpt = run_dir(root, name) / f"network-snapshot-{folder.name.split('-')[-1]}.safetensors"
        kimg = load_checkpoint(ckpt, verify=False).state["train"]["cur_nimg"] / 1000
        record = json.loads(path.read_text().splitlines()[-1])
        points.append((kimg, float(record["results"][key])))
    return sorted(points)


def plot(series: dict[str, list[tuple[float, float]]], title: str, path: Path, size=(600, 300),
         hline: float | None = None, zero: bool = False) -> None:
    """A line chart with axes, ticks, a legend on the right and an optional dashed reference line (Pillow only)."""
    W, H = size
    left, right, top, bottom = 52, 150, 26, 34
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    xs = [x for pts in series.values() for x, _ in pts]
    ys = [y for pts in series.values() for _, y in pts] + ([hline] if hline is not None else [])
    if not xs:
        return
    x0, x1 = 0.0, max(xs) * 1.05
    span = max(ys) - min(ys) or 1.0
    y0 = 0.0 if zero else min(ys) - 0.1 * span
    y1 = max(ys) + 0.1 * span

    def px(x, y):
        return left + (x - x0) / (x1 - x0) * (W - left - right), H - bottom - (y - y0) / (y1 - y0) * (H - top - bottom)

    d.rectangle([left, top, W - right, H - bottom], outline=(0, 0, 0))
    for i in range(5):
        yv = y0 + (y1 - y0) * i / 4
        _, yy = px(x0, yv)
        d.line([left - 4, yy, left, yy], fill=(0, 0, 0))
        d.text((2, yy - 6), f"{yv:.3g}", fill=(0, 0, 0))
        xv = x0 + (x1 - x0) * i / 4
        xx, _ = px(xv, y0)
        d.line([xx, H - bottom, xx, H - bottom + 4], fill=(0, 0, 0))
        d.text((xx - 8, H - bottom + 6), f"{xv:.1f}", fill=(0, 0, 0))
    d.text(((W - right) // 2, H - 14), "kimg", fill=(0, 0, 0))
    d.text((left, 6), title, fill=(0, 0, 0))
    if hline is not None:
        (_, yy), xa, xb = px(0, hline), left, W - right
        for xd in range(int(xa), int(xb), 8):
            d.line([xd, yy, min(xd + 4, xb), yy], fill=(120, 120, 120))
    palette = [(200, 40, 40), (30, 110, 220), (40, 160, 60), (150, 80, 180)]
    for k, (name, pts) in enumerate(series.items()):
        color = COLORS.get(name, palette[k % len(palette)])
        coords = [px(x, y) for x, y in pts]
        if len(coords) > 1:
            d.line(coords, fill=color, width=2)
        for cx, cy in coords:
            d.ellipse([cx - 3, cy - 3, cx + 3, cy + 3], fill=color)
        ly = top + 10 + 16 * k
        d.line([W - right + 8, ly, W - right + 28, ly], fill=color, width=2)
        d.text((W - right + 32, ly - 6), LABELS.get(name, name), fill=(0, 0, 0))
    save_png(np.asarray(img), path)


def labelled_panels(panels: list[tuple[str, np.ndarray]], scale: int = 1) -> np.ndarray:
    h = max(p.shape[0] for _, p in panels)
    canvas = Image.new("RGB", (sum(p.shape[1] + 8 for _, p in panels), h + 18), "white")
    d, x = ImageDraw.Draw(canvas), 0
    for label, p in panels:
        canvas.paste(Image.fromarray(p), (x, 18))
        d.text((x + 2, 3), label, fill=(0, 0, 0))
        x += p.shape[1] + 8
    return np.asarray(canvas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", default="runs/aug")
    parser.add_argument("--data", default="runs/datasets/emoji-300.zip")
    parser.add_argument("--num", type=int, default=1000, help="fakes per run for the leak check")
    args = parser.parse_args()
    torch.set_num_threads(1)
    root = Path(args.runs)
    names = [n for n in RUNS if (root / n).exists()]
    results: dict = {"runs": {}}

    for metric, key, title in (("swd1k", "swd1k", "SWD x1e3 (1k fakes vs reals), lower is better"),
                               ("rfid1k", "rfid1k", "rFID (random Inception, 1k), lower is better")):
        series = {n: metric_points(root, n, metric, key) for n in names}
        plot(series, title, OUT / f"curve_{metric}.png")
        for n, pts in series.items():
            results["runs"].setdefault(n, {})[metric] = pts

    ada_stats = [json.loads(line) for line in (run_dir(root, "ada") / "stats.jsonl").read_text().splitlines()]
    plot({"r_t (tick mean)": [(s["Progress/kimg"], s["Augment/rt"]) for s in ada_stats if "Augment/rt" in s],
          "p": [(s["Progress/kimg"], s["Progress/augment"]) for s in ada_stats]},
         "ADA run: r_t = E[sign(D(real))] and p (dashed: target 0.6)", OUT / "ada_p.png", hline=0.6, zero=True)
    results["ada_p"] = [(s["Progress/kimg"], s["Progress/augment"], s.get("Augment/rt")) for s in ada_stats]

    dataset = ImageDataset(args.data)
    reals, _ = dataset.get_batch(list(range(len(dataset))))  # [N, C, H, W] uint8
    reals_f = reals.float() / 127.5 - 1
    shown = np.random.RandomState(0).choice(len(dataset), 16, replace=False)
    panels = [("reals (random 16)", make_grid(reals[shown].permute(0, 2, 3, 1).numpy(), cols=4))]
    leak = {"reals": leak_report(reals_f, reals_f)}
    for spec_name, module in (("reals + bgc p=0.3", AugmentPipe(augpipe_spec("bgc"), p=0.3)),
                              ("reals + bgcfnc p=0.3", AugmentPipe(augpipe_spec("bgcfnc"), p=0.3)),
                              ("reals + diffaug", DiffAugment())):
        torch.manual_seed(0)
        leak[spec_name] = leak_report(module(reals_f.repeat(3, 1, 1, 1)), reals_f)
    for n in names:
        G = load(run_dir(root, n)).G
        fakes = np.asarray(generate_images(G, list(range(args.num)), batch_size=50))  # [N, H, W, C] uint8
        leak[f"{n} fakes"] = leak_report(torch.from_numpy(fakes).permute(0, 3, 1, 2), reals_f)
        panels.append((LABELS[n], make_grid(fakes[:16], cols=4)))
        for ckpt in find_checkpoints(run_dir(root, n)):  # the leak statistics along training
            snap = load(ckpt)
            kimg = load_checkpoint(ckpt, verify=False).state["train"]["cur_nimg"] / 1000
            imgs = np.asarray(generate_images(snap.G, list(range(args.num)), batch_size=50))
            leak.setdefault("along_training", {}).setdefault(n, []).append(
                (kimg, leak_report(torch.from_numpy(imgs).permute(0, 3, 1, 2), reals_f)))
    results["leak"] = leak
    save_png(labelled_panels(panels), OUT / "samples.png")
    plot({n: [(k, r["rotated"]) for k, r in pts] for n, pts in leak["along_training"].items()},
         "leak check: share of fakes matching the turned template", OUT / "leak_rotated.png",
         hline=leak["reals"]["rotated"], zero=True)

    examples = [("reals", make_grid(reals[:8].permute(0, 2, 3, 1).numpy(), cols=2))]
    for preset in ("blit", "geom", "color", "filter", "noise", "cutout", "bgc"):
        torch.manual_seed(1)
        out = AugmentPipe(augpipe_spec(preset), p=1.0)(reals_f[:8])
        examples.append((preset, make_grid(to_uint8(out), cols=2)))
    torch.manual_seed(1)
    examples.append(("diffaug", make_grid(to_uint8(DiffAugment()(reals_f[:8])), cols=2)))
    save_png(labelled_panels(examples), OUT / "augment_examples.png")
    atomic_write_bytes(OUT / "results.json", (json.dumps(results, indent=1) + "\n").encode())
    print(json.dumps(results["leak"], indent=1))


if __name__ == "__main__":
    main()
