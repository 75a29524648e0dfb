"""Failure-mode diagnostics logged during training, and the divergence stop.

* D accuracy on reals / fakes (``Diag/D_acc_real``, ``Diag/D_acc_fake``) comes from the objective (logits against
  the loss's decision threshold); near 1 for long means D wins (vanishing G gradients), near 0.5 a balanced game.
* Gradient norms of every phase (``Grad/<phase>``): :func:`grad_norm`, reported by the loop before the step.
* Mode collapse (:func:`batch_diversity`): G_ema's images of a fixed batch of latents (the sample grid's seeds) each
  tick: ``Diag/diversity`` = mean pairwise RMS distance in [-1, 1] pixel units (falls toward 0 as the samples
  collapse), ``Diag/duplicate_rate`` = share of pairs closer than ``dup_threshold`` (near-identical images).
* Divergence (:func:`divergence`): a non-finite loss, gradient norm or parameter, or a loss beyond ``loss_limit``.
  :func:`stop_if_diverged` logs it and raises :class:`TrainingDiverged` *before* the tick's checkpoint is written,
  so the run folder keeps the last good checkpoint (and prunes nothing).
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

LOSS_LIMIT = 1e6
"""|loss| above this counts as divergence."""


class TrainingDiverged(ValueError):
    """Training stopped on a NaN / inf / exploding value (a ValueError: the CLI prints it as one line)."""

    def __init__(self, message: str, kimg: float, last_checkpoint: Path | None) -> None:
        super().__init__(message)
        self.kimg = kimg
        self.last_checkpoint = last_checkpoint


def grad_norm(params: list[torch.nn.Parameter]) -> torch.Tensor:
    """The global L2 norm of the gradients of ``params`` (0-dim; 0 when none has a gradient; NaN propagates)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.zeros([])
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))


def batch_diversity(images: torch.Tensor, dup_threshold: float = 0.02) -> dict[str, float]:
    """Diversity of a batch ``[N, C, H, W]`` (N >= 2): mean pairwise RMS distance and duplicate-pair rate.

    The RMS distance between images a and b is ``sqrt(mean((a - b)^2))`` over pixels and channels.
    """
    if images.ndim != 4 or images.shape[0] < 2:
        raise ValueError(f"batch_diversity needs [N >= 2, C, H, W] images, got {list(images.shape)}")
    flat = images.detach().flatten(1).double()  # [N, D]
    n, dims = flat.shape
    dist = (torch.cdist(flat, flat).square() / dims).clamp(min=0).sqrt()  # [N, N] RMS distances
    iu = torch.triu_indices(n, n, offset=1)
    pairs = dist[iu[0], iu[1]]  # [N (N - 1) / 2]
    return {"Diag/diversity": float(pairs.mean()), "Diag/duplicate_rate": float((pairs < dup_threshold).double().mean())}


@torch.no_grad()
def tick_diagnostics(G_ema: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None, batch_size: int = 32) -> dict[str, float]:
    """:func:`batch_diversity` of ``G_ema(z, c)`` (eval mode, constant noise), the fixed grid latents ``z [N, z_dim]``."""
    if z.shape[0] < 2:
        return {}
    was_training = G_ema.training
    G_ema.eval()
    images = [G_ema(z[i:i + batch_size], c[i:i + batch_size] if c is not None else None, noise_mode="const")
              for i in range(0, z.shape[0], batch_size)]
    G_ema.train(was_training)
    return batch_diversity(torch.cat(images))


def divergence(stats: dict[str, float], modules: dict[str, torch.nn.Module] | None = None,
               loss_limit: float = LOSS_LIMIT) -> str | None:
    """Why the run has diverged (one line), or ``None``: non-finite ``Loss/*``, ``Grad/*`` or ``Diag/*`` statistics,
    a ``Loss/*`` beyond ``loss_limit``, or non-finite parameters in ``modules``."""
    for name, value in sorted(stats.items()):
        if not name.startswith(("Loss/", "Grad/", "Diag/")):
            continue
        if not math.isfinite(value):
            return f"{name} is {value}"
        if name.startswith("Loss/") and abs(value) > loss_limit:
            return f"{name} = {value:.3g} exceeds {loss_limit:g}"
    for module_name, module in (modules or {}).items():
        for pname, p in module.named_parameters():
            if not torch.isfinite(p).all():
                return f"{module_name}.{pname} has non-finite values"
    return None


def stop_if_diverged(stats: dict[str, float], modules: dict[str, torch.nn.Module], kimg: float,
                     last_checkpoint: Path | None, log=print) -> None:
    """Raise :class:`TrainingDiverged` with a clear message (logged through ``log`` first) when :func:`divergence`
    finds a reason; the last good checkpoint is named and left in place."""
    reason = divergence(stats, modules)
    if reason is None:
        return
    kept = f"the last good checkpoint is {last_checkpoint}" if last_checkpoint else "no checkpoint was written yet"
    message = (f"training diverged at {kimg:g} kimg: {reason}; stopped without saving, {kept} (try a lower "
               f"learning rate, a regulariser such as --gamma or --reg, or another loss)")
    log(message)
    raise TrainingDiverged(message, kimg, last_checkpoint)
