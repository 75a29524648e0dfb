"""Run the comparison grid: each cell is an ordinary ``train()`` run, then its final metrics; one result per run.

Runs go one after another in this process, or, with several ``devices``, one subprocess per device at a time
(``ganforge compare --only NAME --device cuda:K``), all writing ``<outdir>/<run>/result.json``. A run whose
``result.json`` exists is not repeated (the grid resumes where it stopped). A run that diverges is recorded with its
message and evaluated on its last good checkpoint when there is one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from ganforge.compare.grid import CompareConfig, RunSpec, expand, train_config
from ganforge.utils.atomic import atomic_write


def result_path(cc: CompareConfig, spec: RunSpec) -> Path:
    return Path(cc.outdir) / spec.name / "result.json"


def _write_json(path: Path, data) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n"))


def _final_metrics(cc: CompareConfig, checkpoint: Path, device: str) -> dict[str, float]:
    from ganforge.inference import load
    from ganforge.metrics.registry import MetricOptions, compute_metrics

    if not cc.final_metrics:
        return {}
    G = load(checkpoint, device).G
    opts = MetricOptions(data=cc.data, device=device, batch_size=64, seed=cc.seed, num_threads=cc.num_threads)
    out = {}
    for name in cc.final_metrics:
        try:
            (record,) = compute_metrics([name], G, opts)
        except ValueError as exc:  # e.g. fid without Inception weights: report it as missing
            out[f"{name}_error"] = str(exc)
            continue
        out.update({k: float(v) for k, v in record["results"].items()})
    return out


def _curve_last(run_dir: Path, metric: str | None) -> dict[str, float]:
    path = run_dir / f"metric-{metric}.jsonl"
    if not metric or not path.is_file():
        return {}
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return {k: float(v) for k, v in lines[-1]["results"].items()} if lines else {}


def median_sec_per_kimg(ticks: list[dict]) -> float:
    """Median training time per kimg over the ticks (metric evaluations and snapshots excluded)."""
    values = sorted(float(t["Timing/sec_per_kimg"]) for t in ticks if "Timing/sec_per_kimg" in t)
    return values[len(values) // 2] if values else 0.0


def run_one(cc: CompareConfig, spec: RunSpec) -> dict:
    """Train one cell, evaluate it, write and return its result record."""
    from ganforge.train.checkpoint import find_checkpoints
    from ganforge.train.diagnostics import TrainingDiverged
    from ganforge.train.loop import train

    cfg = train_config(cc, spec)
    record = {"name": spec.name, "model": spec.model, "loss": spec.loss, "reg": spec.reg, "status": "ok",
              "message": "", "device": cc.device}
    start = time.time()
    try:
        result = train(cfg)
        run_dir, checkpoint, stats = result.run_dir, result.last_checkpoint, result.stats
    except TrainingDiverged as exc:
        record.update(status="diverged", message=str(exc))
        run_dir = sorted(p for p in Path(cfg.outdir).iterdir() if p.is_dir())[-1]
        found = find_checkpoints(run_dir)
        checkpoint, stats = (found[-1] if found else None), {}
    record["train_sec"] = time.time() - start
    rows = [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines() if line.strip()]
    ticks = [row for row in rows if "Timing/total_sec" in row]  # (metric rows share the file)
    last = ticks[-1] if ticks else {}
    record.update(run_dir=str(run_dir), checkpoint=str(checkpoint) if checkpoint else None,
                  kimg=float(last.get("Progress/kimg", 0.0)), sec_per_kimg=median_sec_per_kimg(ticks))
    record["final"] = {k: float(v) for k, v in last.items() if k.startswith(("Loss/", "Diag/", "Grad/"))}
    metrics = _curve_last(run_dir, cc.curve_metric)
    if checkpoint is not None:
        metrics.update(_final_metrics(cc, Path(checkpoint), cc.device))
    record["metrics"] = metrics
    record["total_sec"] = time.time() - start
    _write_json(result_path(cc, spec), record)
    return record


def _run_in_subprocess(cc: CompareConfig, spec: RunSpec, device: str) -> dict:
    config_path = Path(cc.outdir) / "compare.json"
    cmd = [sys.executable, "-m", "ganforge.cli.main", "compare", "--config", str(config_path), "--only", spec.name,
           "--device", device, "--no-report", "--no-progress"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    path = result_path(cc, spec)
    if proc.returncode != 0 or not path.is_file():
        record = {"name": spec.name, "model": spec.model, "loss": spec.loss, "reg": spec.reg, "status": "failed",
                  "message": (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"], "device": device}
        record["message"] = record["message"][0]
        _write_json(path, record)
        return record
    return json.loads(path.read_text())


def run_grid(cc: CompareConfig, *, only: list[str] | None = None, devices: list[str] | None = None,
             log=print) -> list[dict]:
    """Run every cell of ``cc`` (or those named in ``only``) not yet done; returns all result records in grid order."""
    specs = expand(cc)
    if only:
        unknown = sorted(set(only) - {s.name for s in specs})
        if unknown:
            raise ValueError(f"--only: no run named {unknown[0]!r} in this grid; runs: {', '.join(s.name for s in specs)}")
        specs = [s for s in specs if s.name in only]
    Path(cc.outdir).mkdir(parents=True, exist_ok=True)
    _write_json(Path(cc.outdir) / "compare.json", cc.to_dict())
    todo = [s for s in specs if not result_path(cc, s).is_file()]
    log(f"compare: {len(specs)} runs, {len(specs) - len(todo)} already done, {cc.kimg:g} kimg each -> {cc.outdir}")
    bar = tqdm(total=len(todo), unit="run", disable=not cc.progress, desc="compare")
    if devices and len(devices) > 1:
        from queue import Queue

        free: Queue = Queue()
        for device in devices:
            free.put(device)

        def job(spec: RunSpec) -> dict:
            device = free.get()
            try:
                return _run_in_subprocess(cc, spec, device)
            finally:
                free.put(device)
                bar.update(1)

        with ThreadPoolExecutor(len(devices)) as pool:
            for record in pool.map(job, todo):
                log(_summary(record))
    else:
        for spec in todo:
            log(f"compare: training {spec.name}")
            record = run_one(cc, spec)
            log(_summary(record))
            bar.update(1)
    bar.close()
    return [json.loads(result_path(cc, s).read_text()) for s in specs if result_path(cc, s).is_file()]


def _summary(record: dict) -> str:
    metrics = "  ".join(f"{k} {v:.3f}" for k, v in record.get("metrics", {}).items() if isinstance(v, float) and "_" not in k)
    return f"compare: {record['name']}: {record['status']}  {record.get('kimg', 0):.1f} kimg  {metrics}  {record['message']}"
