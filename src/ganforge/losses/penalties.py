"""Gradient penalties as pure functions: R1, R2 (Mescheder et al. 2018), the WGAN-GP / DRAGAN gradient-norm penalty
with its input samplers (Gulrajani et al. 2017; Kodali et al. 2017), ProGAN's epsilon drift (Karras et al. 2018), LeCam (Tseng et al. 2021) and path length
(Karras et al. 2020).

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


def r2_penalty(fake_img: Tensor, fake_logits: Tensor) -> Tensor:
    """R2 gradient penalty on generated data (Mescheder et al. 2018, Eq. 10): ``|| d D(x~_i) / d x~_i ||^2``.

    Args:
        fake_img: Generated images ``[N, C, H, W]`` (detached from G) with ``requires_grad=True``.
        fake_logits: ``D(fake_img)``, ``[N, 1]``.

    Returns:
        Per-sample penalty ``[N]``; the caller scales it by ``gamma / 2``.
    """
    if fake_logits.shape[0] != fake_img.shape[0]:
        raise ValueError(f"fake_logits {list(fake_logits.shape)} and fake_img {list(fake_img.shape)} differ in batch size")
    grad = _input_grad(fake_logits.sum(), fake_img, "fake_img")  # [N, C, H, W]
    return grad.square().flatten(1).sum(dim=1)  # [N]


def gradient_norm_penalty(inputs: Tensor, logits: Tensor, *, target: float = 1.0, one_sided: bool = False) -> Tensor:
    """``(||d D(x^) / d x^|| - target)^2`` per sample: the WGAN-GP (Gulrajani et al. 2017, Eq. 3) and DRAGAN penalty.

    Args:
        inputs: The points ``x^`` ``[N, C, H, W]`` with ``requires_grad=True`` (from :func:`interpolate` or
            :func:`dragan_points`).
        logits: ``D(inputs)``, ``[N, 1]``.
        target: The gradient norm aimed at (1: a 1-Lipschitz critic).
        one_sided: Penalise only norms above ``target``: ``max(0, ||g|| - target)^2`` (Gulrajani et al. App. and
            Kodali et al.'s one-sided variant).

    Returns:
        Per-sample penalty ``[N]``; the caller scales it by lambda (10 in both papers).
    """
    if logits.shape[0] != inputs.shape[0]:
        raise ValueError(f"logits {list(logits.shape)} and inputs {list(inputs.shape)} differ in batch size")
    grad = _input_grad(logits.sum(), inputs, "inputs")  # [N, C, H, W]
    norm = (grad.flatten(1).square().sum(dim=1) + 1e-12).sqrt()  # [N]; eps: finite double backward at grad = 0
    gap = norm - target
    if one_sided:
        gap = gap.clamp(min=0)
    return gap.square()


def interpolate(real: Tensor, fake: Tensor, eps: Tensor | None = None) -> Tensor:
    """WGAN-GP sample points ``eps * real + (1 - eps) * fake`` with ``eps ~ U[0, 1]`` per sample.

    Args:
        real, fake: ``[N, C, H, W]`` (detached).
        eps: ``[N]`` mixing weights; drawn from torch's RNG when ``None``.

    Returns:
        ``[N, C, H, W]`` points with ``requires_grad=True``.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {list(real.shape)} and fake {list(fake.shape)} must have the same shape")
    if eps is None:
        eps = torch.rand([real.shape[0]], device=real.device, dtype=real.dtype)
    eps = eps.reshape([-1] + [1] * (real.ndim - 1))  # [N, 1, 1, 1]
    return torch.lerp(fake.detach(), real.detach(), eps).requires_grad_(True)


def dragan_points(real: Tensor, *, scale: float = 0.5, noise: Tensor | None = None, alpha: Tensor | None = None) -> Tensor:
    """DRAGAN sample points around the data (Kodali et al. 2017, "On Convergence and Stability of GANs", Sec. 5):
    ``x + alpha * delta`` with ``delta = scale * std(x) * u``, ``u ~ U[0, 1]`` per pixel, ``alpha ~ U[0, 1]`` per sample.

    Args:
        real: ``[N, C, H, W]`` real images (detached).
        scale: Perturbation size relative to the data's standard deviation (paper: 0.5).
        noise, alpha: ``u [N, C, H, W]`` and ``alpha [N]``; drawn from torch's RNG when ``None``.

    Returns:
        ``[N, C, H, W]`` points with ``requires_grad=True``.
    """
    real = real.detach()
    if noise is None:
        noise = torch.rand_like(real)
    if alpha is None:
        alpha = torch.rand([real.shape[0]], device=real.device, dtype=real.dtype)
    if noise.shape != real.shape or alpha.shape != real.shape[:1]:
        raise ValueError(f"noise must be shaped {list(real.shape)} and alpha [{real.shape[0]}]")
    delta = scale * real.std() * noise  # [N, C, H, W]
    return (real + alpha.reshape([-1] + [1] * (real.ndim - 1)) * delta).requires_grad_(True)


def lecam_penalty(real_logits: Tensor, fake_logits: Tensor, anchor_real: Tensor, anchor_fake: Tensor) -> Tensor:
    """LeCam regulariser (Tseng et al. 2021, "Regularizing GANs under Limited Data", Eq. 3), per sample:
    ``(D(x_i) - alpha_F)^2 + (D(G(z_i)) - alpha_R)^2`` where ``alpha_R`` / ``alpha_F`` are moving averages of D's
    outputs on reals / fakes (see :func:`lecam_update`). Logits ``[N, 1]``, anchors 0-dim -> ``[N]``."""
    r, f = real_logits.flatten(), fake_logits.flatten()
    if r.shape != f.shape:
        raise ValueError(f"LeCam pairs real and fake logits: got {list(real_logits.shape)} and {list(fake_logits.shape)}")
    return (r - anchor_fake.detach()).square() + (f - anchor_real.detach()).square()


def drift_penalty(real_logits: Tensor) -> Tensor:
    """ProGAN's epsilon-drift term (Karras et al. 2018, sec. A.1), per sample: ``D(x_i)^2`` on reals, which keeps
    a WGAN critic's output from drifting far from zero. Logits ``[N, 1]`` -> ``[N]``; the caller scales it by
    epsilon (0.001 in the paper)."""
    return real_logits.flatten(1).square().sum(dim=1)


def lecam_update(anchor_real: Tensor, anchor_fake: Tensor, real_logits: Tensor, fake_logits: Tensor,
                 decay: float = 0.99) -> tuple[Tensor, Tensor]:
    """The anchors' EMA step: ``alpha <- decay * alpha + (1 - decay) * mean(logits)``; returns new detached anchors."""
    if not 0.0 <= decay <= 1.0:
        raise ValueError(f"LeCam decay must be in [0, 1], got {decay}")
    new_real = anchor_real * decay + real_logits.detach().mean().to(anchor_real.dtype) * (1 - decay)
    new_fake = anchor_fake * decay + fake_logits.detach().mean().to(anchor_fake.dtype) * (1 - decay)
    return new_real, new_fake


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
