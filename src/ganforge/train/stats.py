"""Training statistics and where they go: ``log.txt``, ``stats.jsonl``, TensorBoard and the progress bar.

``TickStats`` is an object the loop owns (no module globals): ``report(name, values)`` accumulates sums and counts on
the device, and ``collect(env)`` reduces them over processes once per tick. ``RunLogger`` writes on rank 0 only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from ganforge.train.distributed import DistEnv


class TickStats:
    """Running mean (and std) of named scalars between two ticks."""

    def __init__(self) -> None:
        self._sums: dict[str, torch.Tensor] = {}

    def report(self, name: str, values: torch.Tensor | float) -> None:
        """Add ``values`` (any shape; each element counts once) to the statistic ``name``."""
        v = torch.as_tensor(values).detach().flatten().to(torch.float64)
        moments = torch.stack([torch.tensor(float(v.numel()), dtype=torch.float64, device=v.device), v.sum(), v.square().sum()])
        if name in self._sums:
            self._sums[name] = self._sums[name] + moments.to(self._sums[name].device)
        else:
            self._sums[name] = moments

    def collect(self, env: DistEnv) -> dict[str, float]:
        """Means over everything reported since the last call, over all processes; resets the accumulators.
        Every process must report the same names in the same order (true for the loop's phases)."""
        names = sorted(self._sums)
        result: dict[str, float] = {}
        if names:
            stacked = torch.stack([self._sums[n].to(env.device) for n in names])  # [K, 3]
            if env.is_distributed:
                dist.all_reduce(stacked)
            for name, (count, total, _) in zip(names, stacked.cpu().tolist()):
                result[name] = total / max(count, 1.0)
        self._sums.clear()
        return result


class RunLogger:
    """Writes log lines, ``stats.jsonl`` records, TensorBoard scalars and images (rank 0 only)."""

    def __init__(self, run_dir: Path, env: DistEnv, tensorboard: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.enabled = env.is_main
        self._tb = None
        if self.enabled:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._log = open(self.run_dir / "log.txt", "a", encoding="utf-8")
            self._stats = open(self.run_dir / "stats.jsonl", "a", encoding="utf-8")
            if tensorboard:
                try:
                    from torch.utils.tensorboard import SummaryWriter
                except ImportError:  # tensorboard is a dependency, but keep training if it is broken
                    self.log("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
                else:
                    self._tb = SummaryWriter(str(self.run_dir))

    def log(self, text: str) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        tqdm.write(text, file=sys.stdout)
        self._log.write(text + "\n")
        self._log.flush()

    def scalars(self, values: dict[str, float], *, kimg: float, timestamp: float) -> None:
        """One ``stats.jsonl`` record and TensorBoard scalars at global step ``int(kimg * 1000)`` (images)."""
        if not self.enabled:
            return
        record = {"kimg": kimg, "timestamp": timestamp, **values}
        self._stats.write(json.dumps(record) + "\n")
        self._stats.flush()
        if self._tb is not None:
            step = int(round(kimg * 1000))
            for name, value in values.items():
                self._tb.add_scalar(name, value, global_step=step, walltime=timestamp)
            self._tb.flush()

    def image(self, tag: str, grid: np.ndarray, *, kimg: float) -> None:
        """A ``[H, W, C]`` uint8 image in TensorBoard."""
        if self.enabled and self._tb is not None:
            img = grid if grid.shape[2] in (1, 3, 4) else grid[:, :, :1]
            self._tb.add_image(tag, img, global_step=int(round(kimg * 1000)), dataformats="HWC")
            self._tb.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._tb is not None:
            self._tb.close()
        self._log.close()
        self._stats.close()
