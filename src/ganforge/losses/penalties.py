"""Gradient penalties as pure functions: R1 (Mescheder et al. 2018) and path length (Karras et al. 2020).

Both differentiate a network output with respect to its input using
``torch.autograd.grad(create_graph=True)`` so that the returned per-sample penalty can itself be
backpropagated into the network's parameters. They never call ``backward``, never reduce over the
batch and never apply weights: the caller multiplies by ``r1_gamma / 2`` (or ``pl_weight``) and by
the lazy-regularisation interval (see :func:`ganforge.train.phases.reg_gain`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _input_grad(output: Tensor, inputs: Tensor, what: str) -> Tensor:
    """``d output / d inputs`` with the graph kept (double backward); clear errors instead of autograd's."""
    if not inputs.requires_grad:
        raise ValueError(f"{what} must have requires_grad=True (call .requires_grad_() before the forward pass)")
    if not output.requires_grad:
        raise ValueError(f"the output does not depend on {what}: it has no autograd graph")
    (grad,) = torch.autograd.grad(outputs=[output], inputs=[inputs], create_graph=True, only_inputs=True,
                                  allow_unused=True)
    if grad is None:
        raise ValueError(f"the output does not depend on {what} (was it detached or recreated before the forward?)")
    return grad


def r1_penalty(real_img: Tensor, real_logits: Tensor) -> Tensor:
    """R1 gradient penalty on real data (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?", Eq. 9).

    ``R1_i = || d D(x_i) / d x_i ||^2``. The gradient of ``sum(real_logits)`` with respect to the
    batch gives every sample's own gradient as long as D has no cross-sample ops (minibatch stddev
    mixes samples slightly, as in the official implementation).

    Args:
        real_img: Images ``[N, C, H, W]`` (any ``[N, ...]``) with ``requires_grad=True``, as fed to D.
        real_logits: ``D(real_img)``, ``[N, 1]``.

    Returns:
        Per-sample penalty ``[N]``, differentiable with respect to D's parameters. The caller
        scales it by ``r1_gamma / 2`` (and the lazy-regularisation interval).

    Raises:
        ValueError: ``real_img`` does not require grad or ``real_logits`` does not depend on it.
    """
    if real_logits.shape[0] != real_img.shape[0]:
        raise ValueError(f"real_logits {list(real_logits.shape)} and real_img {list(real_img.shape)} differ in batch size")
    grad = _input_grad(real_logits.sum(), real_img, "real_img")  # [N, C, H, W]
    return grad.square().flatten(1).sum(dim=1)  # [N]


def path_length_penalty(
    img: Tensor,
    ws: Tensor,
    pl_mean: Tensor,
    *,
    decay: float = 0.01,
    noise: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Path length regularisation (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN", Sec. 3.2).

    With ``J = d img / d w`` and a random image-space direction ``y ~ N(0, I) / sqrt(H * W)``
    (scaled so that the length does not grow with the resolution), the per-sample path length is
    ``a_i = ||J_i^T y_i||``, computed as the gradient of ``sum(img * y)`` with respect to ``ws``
    and averaged over the ``num_ws`` copies of w. The target ``a`` is an exponential moving
    average of the lengths, and the penalty is ``(a_i - a)^2``.

    As in the official implementation, the updated average keeps its graph through
    ``lengths.mean()``, so that the penalty's gradient includes the (small, ``decay / N``) path
    through the moving average; the returned state is detached.

    Args:
        img: ``G.synthesis(ws)``, ``[N, C, H, W]``.
        ws: ``[N, num_ws, w_dim]`` with ``requires_grad=True``, the input that produced ``img``.
        pl_mean: The running average of the lengths, a 0-dim tensor (start at 0).
        decay: Weight of the current batch mean in the moving average (official: 0.01).
        noise: ``N(0, I)`` draw shaped like ``img``; ``torch.randn_like(img)`` when ``None``.

    Returns:
        ``(penalty, new_pl_mean, lengths)``: the per-sample penalty ``[N]`` (differentiable into
        G's parameters; the caller scales it by ``pl_weight`` and the interval), the updated
        average (0-dim, detached) and the per-sample lengths ``[N]`` (detached, for logging).

    Raises:
        ValueError: Bad shapes, or ``ws`` does not require grad / ``img`` does not depend on it.
    """
    if img.ndim != 4:
        raise ValueError(f"img must have shape [N, C, H, W], got {list(img.shape)}")
    if ws.ndim != 3 or ws.shape[0] != img.shape[0]:
        raise ValueError(f"ws must have shape [N={img.shape[0]}, num_ws, w_dim], got {list(ws.shape)}")
    if pl_mean.ndim != 0:
        raise ValueError(f"pl_mean must be a 0-dim tensor, got shape {list(pl_mean.shape)}")
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"decay must be in [0, 1], got {decay}")
    if noise is None:
        noise = torch.randn_like(img)
    elif noise.shape != img.shape:
        raise ValueError(f"noise must have the shape of img {list(img.shape)}, got {list(noise.shape)}")
    height, width = img.shape[2], img.shape[3]
    y = noise / math.sqrt(height * width)  # [N, C, H, W]
    jt_y = _input_grad((img * y).sum(), ws, "ws")  # J^T y: [N, num_ws, w_dim]
    lengths = jt_y.square().sum(dim=2).mean(dim=1).sqrt()  # [N]
    pl_mean_new = pl_mean.to(lengths.dtype).lerp(lengths.mean(), decay)  # 0-dim, keeps the graph
    penalty = (lengths - pl_mean_new).square()  # [N]
    return penalty, pl_mean_new.detach(), lengths.detach()
