"""Exponential moving average of the generator's weights (``G_ema``), set by a half-life in images.

Karras et al. (2018, progressive GANs) evaluate a running average of G's weights; StyleGAN2-ADA
parametrises its decay by a half-life of ``ema_kimg`` thousand images, so that changing the batch
size keeps the schedule, with a ramp-up that limits the half-life to ``ema_rampup * cur_nimg``
early in training (when old weights are poor).
"""

from __future__ import annotations

import torch
from torch import nn


def ema_beta(batch_size: int, ema_kimg: float, ema_rampup: float | None, cur_nimg: int) -> float:
    """The decay for one EMA update after a minibatch of ``batch_size`` images.

    ``beta = 0.5 ** (batch_size / ema_nimg)`` with ``ema_nimg = ema_kimg * 1000``, or
    ``min(ema_nimg, cur_nimg * ema_rampup)`` with ramp-up: after ``ema_nimg / batch_size`` updates
    the weight of the older average has halved.

    Args:
        batch_size: Images per update (the global batch).
        ema_kimg: Half-life in thousands of images (StyleGAN2 default: 10; ADA: ``batch * 10 / 32``).
        ema_rampup: Ramp-up ratio (ADA default: 0.05) or ``None`` for none.
        cur_nimg: Images shown so far (at the time of the update).

    Returns:
        ``beta`` in ``[0, 1)``, for :func:`update_ema`; 0 (a plain copy) when the half-life is 0.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if ema_kimg < 0:
        raise ValueError(f"ema_kimg must be >= 0, got {ema_kimg}")
    if ema_rampup is not None and ema_rampup < 0:
        raise ValueError(f"ema_rampup must be None or >= 0, got {ema_rampup}")
    if cur_nimg < 0:
        raise ValueError(f"cur_nimg must be >= 0, got {cur_nimg}")
    ema_nimg = ema_kimg * 1000
    if ema_rampup is not None:
        ema_nimg = min(ema_nimg, cur_nimg * ema_rampup)
    return 0.5 ** (batch_size / max(ema_nimg, 1e-8))


def _matched(kind: str, ema_named: list[tuple[str, torch.Tensor]], src_named: list[tuple[str, torch.Tensor]]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """The two tensor lists in the same order, after checking that the names (and shapes) agree."""
    ema_names = [name for name, _ in ema_named]
    src_names = [name for name, _ in src_named]
    if ema_names != src_names:
        missing = sorted(set(src_names) - set(ema_names))
        extra = sorted(set(ema_names) - set(src_names))
        raise ValueError(f"G_ema and G {kind} differ: missing in G_ema {missing[:5]}, extra in G_ema {extra[:5]}"
                         + ("" if missing or extra else " (same names in a different order)"))
    ema_tensors = [t for _, t in ema_named]
    src_tensors = [t for _, t in src_named]
    for name, a, b in zip(ema_names, ema_tensors, src_tensors):
        if a.shape != b.shape:
            raise ValueError(f"G_ema and G {kind} {name!r} differ in shape: {list(a.shape)} vs {list(b.shape)}")
    return ema_tensors, src_tensors


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, beta: float) -> None:
    """Move ``G_ema``'s parameters toward ``G``'s in place; copy the buffers.

    ``p_ema <- lerp(p, p_ema, beta) = beta * p_ema + (1 - beta) * p`` for every parameter, in one
    multi-tensor (``_foreach``) call; buffers (``w_avg``, ``noise_const``, filters, ...) are copied
    from ``G``, since they are tracked statistics or constants, not trained weights.

    Args:
        G_ema: The averaged copy, updated in place (same architecture as ``G``).
        G: The trained generator.
        beta: Decay from :func:`ema_beta`; 0 copies ``G``, 1 leaves ``G_ema`` unchanged.

    Raises:
        ValueError: ``beta`` outside ``[0, 1]`` or parameter/buffer names or shapes that differ.
    """
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    ema_params, params = _matched("parameters", list(G_ema.named_parameters()), list(G.named_parameters()))
    if ema_params:
        torch._foreach_lerp_(ema_params, params, 1.0 - beta)  # p_ema + (1 - beta) * (p - p_ema)
    ema_buffers, buffers = _matched("buffers", list(G_ema.named_buffers()), list(G.named_buffers()))
    if ema_buffers:
        torch._foreach_copy_(ema_buffers, buffers)
