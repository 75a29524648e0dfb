"""Inception Score (Salimans et al. 2016) from class logits or probabilities.

NVIDIA StyleGAN2-ADA convention (REFERENCE Part 2 §2a): split the samples into ``num_splits`` (10) consecutive chunks,
``IS_s = exp(E_x KL(p(y|x) ‖ p_s(y)))`` with ``p_s`` the chunk's marginal, and report the mean and the **population**
std (``np.std``, ddof 0) over chunks. The published detector gives 1008 logits evaluated with ``no_output_bias=True``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch

ArrayLike = np.ndarray | torch.Tensor


def _as_f64(x: ArrayLike) -> np.ndarray:
    """Returns ``x`` as a float64 numpy array (detached, on CPU)."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _looks_like_probs(p: np.ndarray) -> bool:
    """True when every row is non-negative and sums to 1 (to 1e-4)."""
    return bool(np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-4))


def inception_score_from_logits_or_probs(
    p: ArrayLike,
    num_splits: int = 10,
    *,
    kind: Literal["auto", "probs", "logits"] = "auto",
) -> tuple[float, float]:
    """Inception Score mean and population std over splits.

    Args:
        p: ``[N, K]`` class probabilities or logits.
        num_splits: Number of consecutive, near-equal splits (NVIDIA: 10).
        kind: ``'probs'``, ``'logits'`` (softmax is applied in float64), or ``'auto'``: probabilities when every row is
            non-negative and sums to 1, logits otherwise.

    Returns:
        ``(mean, std)`` of the per-split scores, std with ddof 0.
    """
    x = _as_f64(p)
    if x.ndim != 2 or x.shape[0] < num_splits:
        raise ValueError(f"p must be [N, K] with N >= num_splits={num_splits}, got {x.shape}")
    is_probs = kind == "probs" or (kind == "auto" and _looks_like_probs(x))
    if not is_probs:
        x = x - x.max(axis=1, keepdims=True)
        x = np.exp(x)
        x /= x.sum(axis=1, keepdims=True)
    scores = []
    for chunk in np.array_split(x, num_splits):
        marginal = chunk.mean(axis=0, keepdims=True)  # [1, K]
        # 0 · log 0 = 0: terms with p = 0 contribute nothing to the KL.
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(chunk > 0, chunk * (np.log(chunk) - np.log(marginal)), 0.0).sum(axis=1)  # [n_chunk]
        scores.append(np.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))
