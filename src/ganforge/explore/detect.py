"""Generated-or-real check by projection (Karras et al. 2020, section 5).

An image the generator made lies (nearly) in its range, so projecting it reconstructs it well; a real
image generally does not. The score of an image is its reconstruction PSNR after projection into W:
the higher, the more likely it came from this generator. :func:`roc_auc` measures how well the score
separates two sets.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from ganforge.explore.distance import Distance
from ganforge.explore.project import project, to_float_images
from ganforge.metrics import psnr, ssim


def reconstruction_metrics(target: torch.Tensor | np.ndarray, images: torch.Tensor,
                           lpips: Distance | None = None) -> dict[str, list[float]]:
    """PSNR (dB) and SSIM on uint8 levels (data range 255), and LPIPS when given, per image.

    Args:
        target: ``[N, C, H, W]`` uint8 or float in [-1, 1].
        images: ``[N, C, H, W]`` reconstructions in about [-1, 1] (quantised to uint8 levels first).
    """
    t = to_float_images(target, images.device)
    a = ((t + 1) * 127.5).round().clamp(0, 255)
    b = ((images.detach() + 1) * 127.5).round().clamp(0, 255)
    out = {"psnr": psnr(a, b, 255.0).tolist(), "ssim": ssim(a, b, 255.0).tolist()}
    if lpips is not None:
        with torch.no_grad():
            out["lpips"] = lpips(a / 127.5 - 1, b / 127.5 - 1).tolist()
    return out


def detect_scores(G: torch.nn.Module, images: torch.Tensor | np.ndarray, *, steps: int = 100, space: str = "w",
                  distance: Distance | None = None, batch_size: int = 16, seed: int = 0,
                  progress: bool = False, **project_kwargs) -> dict[str, list[float]]:
    """Project each image and score how well it reconstructs.

    Args:
        G: The generator to test against.
        images: ``[N, C, H, W]`` uint8.
        steps: Projection steps per batch.
        space: ``w`` (the score of the paper's discussion) or ``w+``.
        distance: Projection distance (default weight-free).
        batch_size: Images projected at once (each has its own latent; the result does not depend on it
            up to the per-batch random draws, which are seeded by ``seed`` and the batch index).
        project_kwargs: Passed to :func:`ganforge.explore.project.project`.

    Returns:
        ``{"score": [N], "psnr": [N], "ssim": [N]}``; ``score`` = PSNR, higher = more likely generated.
    """
    images = torch.as_tensor(np.asarray(images)) if isinstance(images, np.ndarray) else images
    out: dict[str, list[float]] = {"psnr": [], "ssim": []}
    starts = range(0, len(images), batch_size)
    for k, start in enumerate(tqdm(starts, desc="detect", unit="batch", disable=not progress)):
        batch = images[start:start + batch_size]
        res = project(G, batch, space=space, steps=steps, distance=distance, seed=seed + k, **project_kwargs)
        m = reconstruction_metrics(batch, res.images)
        out["psnr"] += m["psnr"]
        out["ssim"] += m["ssim"]
    out["score"] = list(out["psnr"])
    return out


def roc_auc(positive: np.ndarray | list[float], negative: np.ndarray | list[float]) -> float:
    """Area under the ROC curve of scores where ``positive`` should score higher than ``negative``.

    Equals ``P(s_pos > s_neg) + 0.5 P(s_pos = s_neg)`` (the Mann-Whitney U statistic / (n_pos n_neg)),
    computed from average ranks, so ties count one half.
    """
    pos = np.asarray(positive, dtype=np.float64).ravel()
    neg = np.asarray(negative, dtype=np.float64).ravel()
    if pos.size == 0 or neg.size == 0:
        raise ValueError("roc_auc needs at least one positive and one negative score")
    scores = np.concatenate([pos, neg])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):  # average ranks over ties
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    u = ranks[:pos.size].sum() - pos.size * (pos.size + 1) / 2
    return float(u / (pos.size * neg.size))

