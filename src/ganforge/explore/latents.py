"""Latent arithmetic for exploring a generator: ``slerp``/``lerp`` and seeds -> ws.

Spherical interpolation (Shoemake 1985) is the natural path between Gaussian latents ``z`` (whose
norm concentrates near ``sqrt(z_dim)``); linear interpolation is the natural one in W, which the
mapping network has made (closer to) linear (Karras et al. 2019, section 4, perceptual path length).
"""

from __future__ import annotations

from typing import Sequence

import torch

from ganforge.inference.generate import class_labels
from ganforge.inference.truncation import truncate
from ganforge.models.network import require_mapping
from ganforge.utils.seeds import z_from_seeds

__all__ = ["lerp", "slerp", "ws_from_seeds", "sample_ws", "truncate"]


def lerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Linear interpolation ``a + t (b - a)``.

    Args:
        a: ``[..., D]`` start.
        b: ``[..., D]`` end (same shape).
        t: Scalar, or a tensor broadcastable to ``a`` (e.g. ``[N, 1]``).

    Returns:
        ``[..., D]``; ``t = 0`` gives ``a`` and ``t = 1`` gives ``b`` exactly.
    """
    if a.shape != b.shape:
        raise ValueError(f"lerp: shapes differ, {list(a.shape)} vs {list(b.shape)}")
    return torch.lerp(a, b, t if isinstance(t, torch.Tensor) else float(t))


def slerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the great circle through ``a`` and ``b`` (last dim is the vector).

    The norm is interpolated linearly, the direction moves at constant angular speed:
    ``sin((1-t)Ω)/sin Ω · â + sin(tΩ)/sin Ω · b̂`` scaled by ``(1-t)|a| + t|b|``. Unit inputs stay on the
    unit sphere. Nearly parallel vectors (``sin Ω < eps``) fall back to a normalised lerp.

    Args:
        a: ``[..., D]`` start.
        b: ``[..., D]`` end (same shape).
        t: Scalar, or a tensor broadcastable to ``a[..., :1]`` (e.g. ``[N, 1]``).

    Returns:
        ``[..., D]``; ``t = 0`` gives ``a``, ``t = 1`` gives ``b`` (up to float rounding).
    """
    if a.shape != b.shape:
        raise ValueError(f"slerp: shapes differ, {list(a.shape)} vs {list(b.shape)}")
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    na = a.norm(dim=-1, keepdim=True)
    nb = b.norm(dim=-1, keepdim=True)
    ua = a / na.clamp_min(eps)
    ub = b / nb.clamp_min(eps)
    cos = (ua * ub).sum(dim=-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(cos)
    sin = torch.sin(omega)
    safe = sin.abs() > eps
    sin_safe = torch.where(safe, sin, torch.ones_like(sin))
    wa = torch.where(safe, torch.sin((1 - t) * omega) / sin_safe, 1 - t)
    wb = torch.where(safe, torch.sin(t * omega) / sin_safe, t)
    direction = wa * ua + wb * ub
    direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(eps)
    return direction * ((1 - t) * na + t * nb)


def ws_from_seeds(
    G: torch.nn.Module,
    seeds: Sequence[int],
    *,
    psi: float = 1.0,
    truncation_cutoff: int | None = None,
    class_idx: int | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """``ws: [N, num_ws, w_dim]`` of the official seeds (``z = RandomState(seed).randn(z_dim)``), truncated."""
    require_mapping(G, "w of seeds (style mixing, W-space walks)")
    device = next(G.parameters()).device if device is None else torch.device(device)
    z = z_from_seeds(list(seeds), G.z_dim, device)  # [N, z_dim]
    c = class_labels(G.c_dim, class_idx, len(seeds), device)
    with torch.no_grad():
        return G.mapping(z, c, truncation_psi=psi, truncation_cutoff=truncation_cutoff)


@torch.no_grad()
def sample_ws(G: torch.nn.Module, num_samples: int, *, seed: int = 0, c: torch.Tensor | None = None,
              batch_size: int = 1000) -> torch.Tensor:
    """``w = mapping(z)[:, 0]`` for ``num_samples`` seeded ``z ~ N(0, I)``: ``[num_samples, w_dim]``.

    ``c``: ``[1, c_dim]`` label for a conditional G (repeated), else ``None``.
    """
    require_mapping(G, "sampling W (W statistics, W clusters)")
    device = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    ws = []
    for start in range(0, num_samples, batch_size):
        n = min(batch_size, num_samples - start)
        z = torch.randn([n, G.z_dim], generator=gen).to(device)
        ws.append(G.mapping(z, None if c is None else c.expand(n, -1))[:, 0])  # [n, w_dim]
    return torch.cat(ws)
