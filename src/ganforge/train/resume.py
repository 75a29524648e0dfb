"""What ``--resume`` continues: which run (``latest`` skips runs of another dataset), on which dataset (``--data`` may
point to where it lies now; its fingerprint must match), and which flags it may change (the rest are refused).

A resume continues a run exactly, so every option that shapes the computation comes from the checkpoint's config;
only :data:`RESUMABLE_OPTIONS` (length, device, threads, logging, snapshots, metrics, the dataset's location) are
taken from the command line. A flag outside them that differs from the run's value is an error, not silently ignored.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ganforge.config import Config
from ganforge.train.checkpoint import _read_header, _run_dirs, find_checkpoints, resolve_resume
from ganforge.train.config import TrainConfig

RESUMABLE_OPTIONS = ("run.kimg", "run.device", "run.num_threads", "run.progress", "run.tensorboard",
                     "run.snapshot_ticks", "run.image_ticks", "run.keep_checkpoints", "data.path", "metrics.names",
                     "metrics.ticks", "metrics.inception", "metrics.vgg16", "metrics.lpips", "metrics.cache")
"""The options a resume takes from the command line; everything else comes from the checkpoint's config."""

_LOCATING = ("run.outdir",)  # used to find the run, not a setting of it


def for_resume(cfg: TrainConfig, saved: dict) -> TrainConfig:
    """The saved config of a run, with the :data:`RESUMABLE_OPTIONS` that ``cfg`` sets (not None, not empty)."""
    out = TrainConfig.from_dict(saved)
    for option in RESUMABLE_OPTIONS:
        section, name = option.split(".")
        value = getattr(getattr(cfg, section), name)
        if value not in (None, (), ""):
            out = replace(out, **{section: replace(getattr(out, section), **{name: value})})
    return out


def saved_fingerprint(checkpoint: Path) -> str | None:
    """The dataset fingerprint in a checkpoint's config (from its header only); ``None`` for runs before 0.2."""
    from ganforge.train.migrate import migrate_config

    metadata, _ = _read_header(checkpoint)
    try:
        return migrate_config(json.loads(metadata["config"])).get("data", {}).get("fingerprint")
    except (KeyError, ValueError, TypeError, AttributeError):
        return None


def pick_checkpoint(spec: str, outdir: str | Path, fingerprint: str | None = None) -> tuple[Path, list[str]]:
    """``(checkpoint, notes)`` for ``--resume spec``.

    ``latest`` takes the newest run folder that has a checkpoint and, when ``fingerprint`` (of ``--data``) is given,
    was trained on that dataset; ``notes`` say which folders were passed over and why. A file or folder is taken as
    given (its dataset is checked later, by :func:`check_dataset`).
    """
    if spec != "latest":
        return resolve_resume(spec, outdir), []
    notes = []
    for run in _run_dirs(Path(outdir)):
        found = find_checkpoints(run)
        if not found:
            notes.append(f"{run.name}: no checkpoint yet")
            continue
        saved = saved_fingerprint(found[-1])
        if fingerprint is not None and saved is not None and saved != fingerprint:
            notes.append(f"{run.name}: trained on another dataset")
            continue
        chosen = resolve_resume(str(run), outdir)
        if notes:
            notes.insert(0, f"--resume latest: continuing {run.name} ({chosen.name}); passed over newer runs:")
        return chosen, notes
    why = f" ({'; '.join(notes)})" if notes else ""
    raise ValueError(f"--resume latest: no run in {outdir} to continue{why}; start a new run without --resume")


def check_dataset(cfg: TrainConfig, fingerprint: str, checkpoint: Path) -> None:
    """The dataset at ``cfg.data.path`` must be the one the run trained on (runs before 0.2 recorded none)."""
    saved = cfg.data.fingerprint
    if saved is not None and saved != fingerprint:
        raise ValueError(f"--resume {checkpoint}: the dataset {cfg.data.path} is not the one this run trained on "
                         f"(fingerprint {fingerprint}, the run's {saved}); pass --data with the run's dataset, or "
                         f"start a new run from these weights with --resume-from")


def check_unchanged(given: dict[str, Any], saved: TrainConfig, checkpoint: Path) -> None:
    """Refuse the first flag in ``given`` (``"--flag" -> (dotted option, value)``) that a resume cannot change and
    that differs from the run's value."""
    for flag, (option, value) in given.items():
        if option in RESUMABLE_OPTIONS or option in _LOCATING:
            continue
        current = _get(saved, option)
        if not _same(value, current):
            raise ValueError(f"{flag} cannot change when resuming (the run {checkpoint.parent.name} has {current!r}, "
                             f"given {value!r}); leave it out, or start a new run from these weights with "
                             f"--resume-from {checkpoint}")


def _get(cfg: Any, option: str) -> Any:
    for part in option.split("."):
        if isinstance(cfg, (list, tuple)):
            matches = [e for e in cfg if getattr(e, "name", None) == part]
            cfg = matches[0] if matches else None
        else:
            cfg = getattr(cfg, part, None)
    return cfg


def _same(given: Any, current: Any) -> bool:
    if isinstance(given, float) or isinstance(current, float):
        try:
            return abs(float(given) - float(current)) <= 1e-12 * max(1.0, abs(float(current)))
        except (TypeError, ValueError):
            return False
    if isinstance(given, (list, tuple)) and isinstance(current, (list, tuple)):
        return len(given) == len(current) and all(_same(a, b) for a, b in zip(given, current))
    if isinstance(current, Config) and isinstance(given, dict):
        return _same(given, current.to_dict())
    if isinstance(given, dict) and isinstance(current, dict):
        return all(k in current and _same(v, current[k]) for k, v in given.items() if v is not None)
    return given == current
