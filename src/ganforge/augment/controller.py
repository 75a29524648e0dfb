"""The ADA controller (Karras et al. 2020, sec. 3): tune p from the overfitting heuristic ``r_t = E[sign(D(real))]``.

Every ``ada_interval`` D steps the loop averages the signs of D's real logits since the last update and moves
``p`` towards the value where ``r_t`` equals the target (0.6), at a speed that lets p go from 0 to 1 in
``ada_kimg`` thousand images:

    p <- clamp(p + sign(r_t - target) * batch * ada_interval / (ada_kimg * 1000), 0, 1)

Pure functions: state (the running sign sum and count) goes in, new state comes out.
"""

from __future__ import annotations

import math

import torch


def ada_adjust(p: float, r_t: float, *, target: float = 0.6, batch: int, interval: int = 4,
               ada_kimg: float = 500.0) -> float:
    """The new p after one update (a Python float in [0, 1]); p rises when D overfits (``r_t > target``)."""
    if ada_kimg <= 0:
        raise ValueError(f"ada_kimg must be > 0, got {ada_kimg}")
    if math.isnan(r_t):
        return p
    step = math.copysign(1.0, r_t - target) * (batch * interval) / (ada_kimg * 1000) if r_t != target else 0.0
    return min(max(p + step, 0.0), 1.0)


def accumulate_signs(acc: torch.Tensor, real_logits: torch.Tensor) -> torch.Tensor:
    """``acc [2] = (sum of signs, count)`` plus the signs of ``real_logits [N, 1]`` (float64, no grad)."""
    signs = real_logits.detach().flatten().sign().to(torch.float64)
    return acc + torch.stack([signs.sum(), torch.tensor(float(signs.numel()), dtype=torch.float64, device=signs.device)])


def overfit_heuristic(acc: torch.Tensor) -> float:
    """``r_t`` = mean sign from ``acc [2]`` (NaN when nothing was accumulated)."""
    total, count = acc.tolist()
    return total / count if count > 0 else float("nan")
