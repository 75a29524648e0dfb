"""The comparison report: ``report.md`` with a results table and PNG figures (curves, final samples side by side).

Everything is read back from the run folders (``stats.jsonl``, ``metric-*.jsonl``, ``fakes*.png``) and the result
records of :mod:`ganforge.compare.runner`, so a report can be rewritten at any time (``ganforge compare --report-only``).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.compare.grid import CompareConfig
from ganforge.compare.plots import labelled_row, line_plot
from ganforge.compare.runner import median_sec_per_kimg
from ganforge.utils.atomic import atomic_write
from ganforge.utils.images import save_png

CURVES = [  # (stats key, title, file, smoothing)
    ("Loss/G/loss", "G loss", "loss_G.png", 3),
    ("Loss/D/loss", "D loss", "loss_D.png", 3),
    ("Diag/D_acc_real", "D accuracy on reals", "d_acc_real.png", 3),
    ("Diag/D_acc_fake", "D accuracy on fakes", "d_acc_fake.png", 3),
    ("Diag/diversity", "diversity of a fixed batch (mean pairwise RMS distance)", "diversity.png", 1),
]


def _rows(run_dir: Path, name: str) -> list[dict]:
    path = run_dir / name
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _series(records: list[dict], key: str) -> dict[str, tuple[list[float], list[float]]]:
    out = {}
    for r in records:
        rows = [row for row in _rows(Path(r["run_dir"]), "stats.jsonl") if key in row]
        out[_label(r)] = ([row["kimg"] for row in rows], [row[key] for row in rows])
    return out


def _metric_series(records: list[dict], metric: str) -> dict[str, tuple[list[float], list[float]]]:
    out = {}
    for r in records:
        rows = _rows(Path(r["run_dir"]), f"metric-{metric}.jsonl")
        out[_label(r)] = ([row["kimg"] for row in rows], [row["results"][metric] for row in rows])
    return out


SHORT_LOSS = {"nonsaturating": "NS", "minimax": "MM", "relativistic": "RaGAN"}


def _label(record: dict) -> str:
    model = record["model"].replace("dcgan-", "")
    reg = "" if record["reg"] == "none" else f" +{record['reg'].split(':')[0]}"
    return f"{model} {SHORT_LOSS.get(record['loss'], record['loss'])}{reg}"


def _real_diversity(data: str, n: int) -> float | None:
    """``Diag/diversity`` of ``n`` dataset images: the level the fakes' diversity should reach."""
    import torch

    from ganforge.data import ImageDataset
    from ganforge.train.diagnostics import batch_diversity

    try:
        dataset = ImageDataset(data)
    except (ValueError, OSError):
        return None
    img, _ = dataset.get_batch(list(range(min(n, len(dataset)))))
    return batch_diversity(img.to(torch.float32) / 127.5 - 1)["Diag/diversity"]


def _final_grid(run_dir: Path, cells: int = 4, cell: int | None = None) -> np.ndarray | None:
    grids = sorted(run_dir.glob("fakes[0-9]*.png"))
    if not grids:
        return None
    img = np.asarray(Image.open(grids[-1]).convert("RGB"))
    return img[:cells * cell, :cells * cell] if cell else img


def _fmt(value, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:.{digits}f}"


def _param_counts(record: dict) -> tuple[int, int] | None:
    from ganforge.models import ModelSection, build_discriminator, build_generator
    from ganforge.train.migrate import migrate_config

    cfg_path = Path(record["run_dir"]) / "config.json"
    if not cfg_path.is_file():
        return None
    model = ModelSection.from_dict(migrate_config(json.loads(cfg_path.read_text()))["model"])
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return count(build_generator(model)), count(build_discriminator(model))


def write_report(cc: CompareConfig, records: list[dict], out_dir: str | Path | None = None,
                 image_prefix: str | None = None) -> Path:
    """Figures into ``out_dir`` (default ``<outdir>/report``) and ``<outdir>/report.md``; returns the Markdown path.

    Args:
        image_prefix: How the Markdown refers to the figures (default: the folder relative to the report).
    """
    outdir = Path(cc.outdir)
    fig_dir = Path(out_dir) if out_dir else outdir / "report"
    fig_dir.mkdir(parents=True, exist_ok=True)
    prefix = image_prefix if image_prefix is not None else os.path.relpath(fig_dir, outdir)
    done = [r for r in records if r.get("run_dir")]
    figures = []
    for key, title, filename, smooth in CURVES:
        save_png(line_plot(_series(done, key), title=title, xlabel="kimg", smooth=smooth), fig_dir / filename)
        figures.append((title, filename))
    if cc.curve_metric:
        filename = f"metric_{cc.curve_metric}.png"
        save_png(line_plot(_metric_series(done, cc.curve_metric), title=f"{cc.curve_metric} (lower is better)",
                           xlabel="kimg"), fig_dir / filename)
        figures.insert(0, (f"{cc.curve_metric} during training", filename))
    samples = []
    for r in done:
        grid = _final_grid(Path(r["run_dir"]), cells=4, cell=_cell_size(r))
        if grid is not None:
            samples.append((_label(r), grid))
    if samples:
        _save_compact_png(labelled_row(samples, max_per_row=5), fig_dir / "samples.png")
    reals = sorted(Path(r["run_dir"]) / "reals.png" for r in done if (Path(r["run_dir"]) / "reals.png").is_file())
    if reals:
        save_png(_final_grid_from(reals[0], _cell_size(done[0])), fig_dir / "reals.png")

    lines = [f"# Comparison report: {outdir.name}", "",
             f"{len(records)} runs on `{cc.data}`, {cc.kimg:g} kimg each (batch {cc.batch}, channel_base "
             f"{cc.channel_base}, channel_max {cc.channel_max}, lr G/D {cc.g_lr:g}/{cc.d_lr:g}, seed {cc.seed}, "
             f"device {cc.device}).", "", _table(cc, records), ""]
    lines += [_model_summary(cc, done), ""]
    for title, filename in figures:
        lines += [f"**{title}**", "", f"![{title}]({prefix}/{filename})", ""]
    if samples:
        lines += ["**Final samples (G_ema, fixed seeds)**", "", f"![samples]({prefix}/samples.png)", ""]
    if reals:
        lines += ["**Real images**", "", f"![reals]({prefix}/reals.png)", ""]
    real_div = _real_diversity(cc.data, 36)
    if real_div is not None:
        lines += [f"Diversity of 36 real images (same measure): {real_div:.3f}.", ""]
    diverged = [r for r in records if r["status"] != "ok"]
    for r in diverged:
        lines += [f"- `{r['name']}` {r['status']}: {r['message']}"]
    path = outdir / "report.md"
    atomic_write(path, lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))
    return path


def _save_compact_png(array: np.ndarray, path: Path) -> None:
    """A palette PNG (256 colours): sample sheets stay small enough for docs (a few hundred KB at most)."""
    image = Image.fromarray(array).quantize(256, method=Image.Quantize.MEDIANCUT)
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG", optimize=True))


def _cell_size(record: dict) -> int:
    cfg_path = Path(record["run_dir"]) / "config.json"
    if not cfg_path.is_file():
        return 32
    from ganforge.train.migrate import migrate_config

    return migrate_config(json.loads(cfg_path.read_text()))["model"]["arch"]["img_resolution"]


def _final_grid_from(path: Path, cell: int, cells: int = 4) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))[:cells * cell, :cells * cell]


def _model_summary(cc: CompareConfig, records: list[dict]) -> str:
    """Per model: parameter counts, median s/kimg and the mean of each metric over its finished runs."""
    metric_names = ([cc.curve_metric] if cc.curve_metric else []) + list(cc.final_metrics)
    head = ["model", "runs", "G parameters", "D parameters", "median s/kimg"] + [f"mean {m}" for m in metric_names]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for model in dict.fromkeys(r["model"] for r in records):
        mine = [r for r in records if r["model"] == model]
        counts = _param_counts(mine[0]) or (0, 0)
        ticks = [row for r in mine for row in _rows(Path(r["run_dir"]), "stats.jsonl") if "Timing/sec_per_kimg" in row]
        cells = [model, str(len(mine)), f"{counts[0]:,}", f"{counts[1]:,}", _fmt(median_sec_per_kimg(ticks), 1)]
        for name in metric_names:
            values = [r["metrics"][name] for r in mine if name in r.get("metrics", {})]
            cells.append(_fmt(sum(values) / len(values)) if values else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _table(cc: CompareConfig, records: list[dict]) -> str:
    metric_names = ([cc.curve_metric] if cc.curve_metric else []) + list(cc.final_metrics)
    head = ["run", "status", "kimg", "s/kimg"] + metric_names + ["D acc real", "D acc fake", "diversity", "dup rate"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        m, f = r.get("metrics", {}), r.get("final", {})
        ticks = [row for row in _rows(Path(r["run_dir"]), "stats.jsonl") if "Timing/sec_per_kimg" in row] \
            if r.get("run_dir") else []
        sec = median_sec_per_kimg(ticks) if ticks else r.get("sec_per_kimg")
        cells = [f"`{r['name']}`", r["status"], _fmt(r.get("kimg"), 1), _fmt(sec, 1)]
        cells += [_fmt(m.get(name)) if name in m else ("n/a" if f"{name}_error" in m else "-") for name in metric_names]
        cells += [_fmt(f.get("Diag/D_acc_real")), _fmt(f.get("Diag/D_acc_fake")), _fmt(f.get("Diag/diversity"), 3),
                  _fmt(f.get("Diag/duplicate_rate"), 3)]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)
