"""Metrics during training (``--metrics swd1k,fid50k_full``): evaluated on G_ema at snapshots or every N ticks.

Results go where NVIDIA's do, ``<run_dir>/metric-<name>.jsonl`` (one record per evaluation, with the protocol and
the kimg), and to TensorBoard as ``Metrics/<name>`` (plus the per-level / precision-recall sub-values). Evaluation
runs on the main process; the others wait at the next collective (the process group timeout is 30 minutes).
The first metric is the run's "best metric" kept in the training state.
"""

from __future__ import annotations

import time

from ganforge.metrics.names import parse_metric
from ganforge.metrics.registry import MetricOptions, append_metric_record, compute_metrics, headline
from ganforge.train.config import TrainConfig


def is_due(cfg: TrainConfig, tick: int, done: bool, snapshot_due: bool) -> bool:
    """Whether the tick that just finished evaluates the metrics: every ``metric_ticks`` ticks, or with each
    snapshot when ``metric_ticks`` is ``None``, and always at the end of training."""
    metrics = cfg.metrics
    if not metrics.names:
        return False
    if done:
        return True
    if metrics.ticks is None:
        return bool(snapshot_due)
    return metrics.ticks > 0 and tick % metrics.ticks == 0


def metric_options(cfg: TrainConfig, device) -> MetricOptions:
    m = cfg.metrics
    return MetricOptions(data=cfg.data.path, device=device, batch_size=max(cfg.run.batch_gpu or 32, 16),
                         seed=cfg.run.seed, cache_dir=m.cache, inception=m.inception, vgg16=m.vgg16, lpips=m.lpips,
                         num_threads=cfg.run.num_threads, progress=False)


def evaluate(cfg: TrainConfig, G_ema, state, env, logger, network: str | None) -> dict[str, float]:
    """Compute ``cfg.metrics.names`` on ``G_ema``, append the records, log them; returns ``{"Metrics/<name>": value}``."""
    if not env.is_main:
        return {}
    start = time.time()
    kimg = state.cur_nimg / 1000
    records = compute_metrics(cfg.metrics.names, G_ema, metric_options(cfg, env.device), network=network, kimg=kimg)
    scalars = {}
    for record in records:
        append_metric_record(cfg.run.run_dir, record)
        scalars.update({f"Metrics/{key}": float(value) for key, value in record["results"].items()})
    first = records[0]
    value = headline(first)
    lower_is_better = parse_metric(first["metric"]).lower_is_better
    if state.best_metric is None or (value < state.best_metric if lower_is_better else value > state.best_metric):
        state.best_metric = value
    logger.scalars(scalars, kimg=kimg, timestamp=time.time())
    logger.log("metrics " + "  ".join(f"{r['metric']} {headline(r):.4f}" for r in records) +
               f"  ({time.time() - start:.1f} s)")
    return scalars
