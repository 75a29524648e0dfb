"""Projection: find the latent that makes G reproduce a target image (Karras et al. 2020, Appendix D).

``project(G, target, space='w')`` optimises one w per target, broadcast to every layer; ``space='w+'``
one w per layer (Abdal et al. 2019, Image2StyleGAN), which reconstructs better but leaves the
learned distribution. Following the StyleGAN2 projector as the paper describes it: the search starts at
the mean w (or a given w, e.g. a W-cluster centroid), Gaussian noise of strength
``sigma_w * initial_noise_factor * max(0, 1 - t / noise_ramp)^2`` is added to w so that the start
explores, the learning rate ramps up linearly over the first ``lr_rampup`` of the steps and down with a
half cosine over the last ``lr_rampdown``, and the per-layer noise maps are optimised too, under the
autocorrelation regulariser of :mod:`ganforge.explore.noise_reg` and renormalised after every step.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from typing import Callable, Iterator, Literal

import numpy as np
import torch
from tqdm import tqdm

from ganforge.explore.distance import Distance, weight_free_distance
from ganforge.explore.latents import sample_ws
from ganforge.explore.noise_reg import init_noise_maps, noise_regularization, normalize_noise_, use_noise_maps
from ganforge.models.network import require_mapping
from ganforge.utils.images import to_uint8

SPACES = ("w", "w+", "z")
"""``w``/``w+``: W space of a generator with a mapping network; ``z``: the input latent of any generator (R3GAN's
basis input, DCGAN's z), for generators without a W space."""


@dataclass
class ProjectionResult:
    """What :func:`project` found for ``N`` targets."""

    ws: torch.Tensor
    """``[N, num_ws, w_dim]``: the latents (identical rows per sample for ``space='w'``); ``[N, z_dim]`` for
    ``space='z'``."""
    noise: dict[str, torch.Tensor] | None
    """Optimised noise maps ``{layer: [N, 1, R, R]}``, or ``None`` (the stored ``noise_const`` was used)."""
    images: torch.Tensor
    """``[N, C, H, W]`` final reconstructions in about [-1, 1]."""
    distances: torch.Tensor
    """``[steps, N]``: the distance to each target at each step (before the step's update)."""
    frames: list[np.ndarray] = field(default_factory=list)
    """Snapshots ``[N, H, W, C]`` uint8 every ``record_every`` steps (and the final one), if asked for."""


@contextlib.contextmanager
def frozen(*modules: torch.nn.Module | None) -> Iterator[None]:
    """No parameter of ``modules`` requires grad inside the block; the flags are restored afterwards."""
    params = [p for m in modules if m is not None for p in m.parameters()]
    flags = [p.requires_grad for p in params]
    try:
        for p in params:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


def to_float_images(target: torch.Tensor | np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` (or ``[C, H, W]``) -> float32 in [-1, 1]; float input is taken as already in [-1, 1]."""
    t = torch.as_tensor(np.asarray(target) if isinstance(target, np.ndarray) else target)
    if t.ndim == 3:
        t = t[None]
    if t.ndim != 4:
        raise ValueError(f"target must be [N, C, H, W] or [C, H, W], got {list(t.shape)}")
    if t.dtype == torch.uint8:
        return (t.to(device=device, dtype=torch.float32) / 127.5 - 1).contiguous()
    return t.to(device=device, dtype=torch.float32).contiguous()


@torch.no_grad()
def w_stats(G: torch.nn.Module, num_samples: int = 10000, *, seed: int = 0, c: torch.Tensor | None = None,
            batch_size: int = 1000) -> tuple[torch.Tensor, float]:
    """Mean ``[w_dim]`` of W and its scale ``sigma_w = sqrt(E ||w - mean||^2)`` from ``num_samples`` seeded z.

    ``c``: ``[1, c_dim]`` label for a conditional G (repeated), else ``None``.
    """
    w = sample_ws(G, num_samples, seed=seed, c=c, batch_size=batch_size)  # [n, w_dim]
    mean = w.mean(dim=0)
    return mean, float((w - mean).square().sum(dim=1).mean().sqrt())


def learning_rate(step: int, steps: int, initial_lr: float, rampdown: float, rampup: float) -> float:
    """Linear ramp-up over the first ``rampup`` fraction, half-cosine ramp-down over the last ``rampdown``."""
    t = step / steps
    down = min(1.0, (1.0 - t) / rampdown) if rampdown > 0 else 1.0
    ramp = 0.5 - 0.5 * math.cos(down * math.pi)
    if rampup > 0:
        ramp *= min(1.0, t / rampup)
    return initial_lr * ramp


def _initial_ws(w_init: torch.Tensor | None, w_mean: torch.Tensor, n: int, num_ws: int, space: str) -> torch.Tensor:
    """Starting point ``[n, 1 | num_ws, w_dim]`` from ``None`` (mean), ``[w_dim]``, ``[n, w_dim]`` or ``[n, num_ws, w_dim]``."""
    w_dim = w_mean.shape[0]
    w = w_mean if w_init is None else w_init.to(w_mean)
    if w.ndim == 1:
        w = w.expand(n, w_dim)
    if w.ndim == 2:
        w = w[:, None, :].expand(n, num_ws, w_dim)
    if w.shape != (n, num_ws, w_dim):
        raise ValueError(f"w_init must be [w_dim], [N, w_dim] or [N, num_ws, w_dim] with N={n}, "
                         f"num_ws={num_ws}, w_dim={w_dim}; got {list(w_init.shape)}")
    w = w[:, :1] if space == "w" else w
    return w.detach().clone()


def project(
    G: torch.nn.Module,
    target: torch.Tensor | np.ndarray,
    *,
    space: Literal["w", "w+"] = "w",
    steps: int = 1000,
    distance: Distance | None = None,
    w_init: torch.Tensor | None = None,
    initial_lr: float = 0.1,
    lr_rampdown: float = 0.25,
    lr_rampup: float = 0.05,
    initial_noise_factor: float = 0.05,
    noise_ramp: float = 0.75,
    optimize_noise: bool = True,
    regularize_noise_weight: float = 1e5,
    num_w_samples: int = 10000,
    c: torch.Tensor | None = None,
    seed: int = 0,
    record_every: int = 0,
    progress: bool = False,
    callback: Callable[[int, torch.Tensor], None] | None = None,
) -> ProjectionResult:
    """Project ``N`` target images into G's latent space, all at once (each target has its own latent).

    Args:
        G: StyleGAN2 generator (its parameters are not changed).
        target: ``[N, C, H, W]`` uint8, or float in [-1, 1], at G's resolution.
        space: ``w`` (one w per image, broadcast), ``w+`` (one w per layer), or ``z`` (G's input latent, for
            generators without a mapping network: the same schedule, starting at ``z = 0``, no noise maps).
        steps: Optimisation steps.
        distance: ``(img [N, C, H, W], target) -> [N]``; default: weight-free pixel + MS-SSIM distance.
        w_init: Start: ``None`` (mean w), ``[w_dim]``, ``[N, w_dim]`` or ``[N, num_ws, w_dim]``.
        initial_lr: Peak Adam learning rate.
        lr_rampdown: Fraction of steps for the cosine ramp-down at the end.
        lr_rampup: Fraction of steps for the linear ramp-up at the start.
        initial_noise_factor: Noise added to w at the start, in units of ``sigma_w``.
        noise_ramp: Fraction of steps over which that noise decays (quadratically) to zero.
        optimize_noise: Also optimise the per-layer noise maps (else the stored constant noise is used).
        regularize_noise_weight: Weight of the noise autocorrelation penalty.
        num_w_samples: Samples for the mean and scale of W.
        c: ``[1, c_dim]`` label for a conditional G, else ``None``.
        seed: Seeds the W samples, the initial noise maps and the w noise.
        record_every: Keep a uint8 snapshot every this many steps (0 = none).
        progress: Show a tqdm bar.
        callback: Called after every step with ``(step, distances [N])`` (live progress, e.g. ``ganforge serve``);
            an exception it raises stops the projection.

    Returns:
        A :class:`ProjectionResult`.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {list(SPACES)}, got {space!r}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    device = next(G.parameters()).device
    target = to_float_images(target, device)
    n = target.shape[0]
    expected = [G.img_channels, *G.img_shape]
    if list(target.shape[1:]) != expected:
        raise ValueError(f"target images are {list(target.shape[1:])} [C, H, W], but the network makes {expected}")
    distance = weight_free_distance() if distance is None else distance
    gen = torch.Generator().manual_seed(seed)
    if space == "z":
        return _project_z(G, target, distance, steps=steps, initial_lr=initial_lr, lr_rampdown=lr_rampdown,
                          lr_rampup=lr_rampup, initial_noise_factor=initial_noise_factor, noise_ramp=noise_ramp,
                          c=c, gen=gen, record_every=record_every, progress=progress, callback=callback)
    require_mapping(G, "projection into W (use --space z)")
    with frozen(G):
        w_mean, w_std = w_stats(G, num_w_samples, seed=seed, c=c)
        w_opt = _initial_ws(w_init, w_mean, n, G.num_ws, space).requires_grad_(True)  # [N, 1|num_ws, w_dim]
        maps = init_noise_maps(G, n, generator=gen, device=device) if optimize_noise else None
        params = [w_opt] + (list(maps.values()) if maps else [])
        for noise in maps.values() if maps else []:
            noise.requires_grad_(True)
        opt = torch.optim.Adam(params, betas=(0.9, 0.999), lr=initial_lr)
        history, frames = [], []
        for step in tqdm(range(steps), desc="project", unit="step", disable=not progress, leave=False):
            t = step / steps
            w_noise_scale = w_std * initial_noise_factor * max(0.0, 1.0 - t / noise_ramp) ** 2 if noise_ramp > 0 else 0.0
            for group in opt.param_groups:
                group["lr"] = learning_rate(step, steps, initial_lr, lr_rampdown, lr_rampup)
            w_noise = torch.randn(w_opt.shape, generator=gen).to(device) * w_noise_scale
            ws = (w_opt + w_noise).expand(n, G.num_ws, -1)
            with use_noise_maps(G, maps):
                img = G.synthesis(ws, noise_mode="const")  # [N, C, H, W]
            dist = distance(img, target)  # [N]
            loss = dist.sum()
            if maps and regularize_noise_weight > 0:
                loss = loss + regularize_noise_weight * noise_regularization(maps).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if maps:
                normalize_noise_(maps)
            history.append(dist.detach().cpu())
            if record_every and step % record_every == 0:
                frames.append(to_uint8(img))
            if callback is not None:
                callback(step, history[-1])
        ws = w_opt.detach().expand(n, G.num_ws, -1).clone()
        final_maps = {k: v.detach() for k, v in maps.items()} if maps else None
        with torch.no_grad(), use_noise_maps(G, final_maps):
            images = G.synthesis(ws, noise_mode="const")
    if record_every:
        frames.append(to_uint8(images))
    return ProjectionResult(ws=ws, noise=final_maps, images=images, distances=torch.stack(history), frames=frames)


def _project_z(G, target, distance, *, steps, initial_lr, lr_rampdown, lr_rampup, initial_noise_factor, noise_ramp,
               c, gen, record_every, progress, callback) -> ProjectionResult:
    """:func:`project` in z: Adam on ``z [N, z_dim]`` from 0 (the prior's mode), with decaying exploration noise of
    ``initial_noise_factor`` prior standard deviations (1 per dimension)."""
    n, device = target.shape[0], target.device
    labels = None if c is None else c.to(device).expand(n, -1)
    with frozen(G):
        z = torch.zeros(n, G.z_dim, device=device, requires_grad=True)
        opt = torch.optim.Adam([z], betas=(0.9, 0.999), lr=initial_lr)
        history, frames = [], []
        for step in tqdm(range(steps), desc="project z", unit="step", disable=not progress, leave=False):
            t = step / steps
            scale = initial_noise_factor * max(0.0, 1.0 - t / noise_ramp) ** 2 if noise_ramp > 0 else 0.0
            for group in opt.param_groups:
                group["lr"] = learning_rate(step, steps, initial_lr, lr_rampdown, lr_rampup)
            img = G(z + torch.randn(z.shape, generator=gen).to(device) * scale, labels, noise_mode="const")
            dist = distance(img, target)  # [N]
            opt.zero_grad(set_to_none=True)
            dist.sum().backward()
            opt.step()
            history.append(dist.detach().cpu())
            if record_every and step % record_every == 0:
                frames.append(to_uint8(img))
            if callback is not None:
                callback(step, history[-1])
        with torch.no_grad():
            images = G(z, labels, noise_mode="const")
    if record_every:
        frames.append(to_uint8(images))
    return ProjectionResult(ws=z.detach().clone(), noise=None, images=images, distances=torch.stack(history),
                            frames=frames)


@torch.no_grad()
def nearest_centroid(G: torch.nn.Module, target: torch.Tensor | np.ndarray, centroids: torch.Tensor,
                     distance: Distance | None = None) -> torch.Tensor:
    """Per target, the W-cluster centroid whose image is closest to it: ``[N, w_dim]`` (a projection start).

    Args:
        target: ``[N, C, H, W]`` uint8 or float in [-1, 1].
        centroids: ``[K, w_dim]``.
    """
    device = next(G.parameters()).device
    target = to_float_images(target, device)
    distance = weight_free_distance() if distance is None else distance
    centroids = centroids.to(device=device, dtype=torch.float32)
    imgs = G.synthesis(centroids[:, None, :].expand(-1, G.num_ws, -1), noise_mode="const")  # [K, C, H, W]
    k = centroids.shape[0]
    best = [int(torch.argmin(distance(imgs, t[None].expand(k, -1, -1, -1)))) for t in target]
    return centroids[best]
