"""What the serve endpoints draw, on the public API only (``ganforge.inference``, ``ganforge.explore``).

Every function takes the generator of a :class:`~ganforge.inference.NetworkFile` and returns uint8 images
``[N, H, W, C]`` (or the latents); the caller holds the network's lock. Seeds render exactly as
``ganforge generate`` renders them, so a page image equals the command's PNG for the same settings.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ganforge.explore import (Directions, apply_direction, lerp, slerp, style_mixing_grid, use_noise_maps,
                              ws_from_seeds)
from ganforge.explore.style_mixing import parse_styles
from ganforge.inference import class_labels, generate_images, truncate
from ganforge.models.network import generator_caps, require_mapping
from ganforge.serve.params import Rendering
from ganforge.utils.images import make_grid, to_uint8
from ganforge.utils.seeds import z_from_seeds


def has_w(G: torch.nn.Module) -> bool:
    return generator_caps(G).has_mapping


def seeds_images(G: torch.nn.Module, seeds: Sequence[int], r: Rendering) -> np.ndarray:
    """``ganforge generate``'s images of ``seeds``: ``[N, H, W, C]``."""
    return generate_images(G, list(seeds), psi=r.psi, truncation_cutoff=r.cutoff, noise_mode=r.noise_mode,
                           class_idx=r.class_idx).numpy()


def grid_image(G: torch.nn.Module, seeds: Sequence[int], r: Rendering) -> np.ndarray:
    """The seeds' images tiled (as ``ganforge generate --grid``)."""
    return make_grid(seeds_images(G, seeds, r))


def mixing_image(G: torch.nn.Module, rows: Sequence[int], cols: Sequence[int], layers: str, r: Rendering) -> np.ndarray:
    """``ganforge mix``'s figure: the column images on top, the row images on the left, the mixes inside."""
    require_mapping(G, "style mixing")
    chosen = parse_styles(layers, G.num_ws, G.img_resolution)
    return style_mixing_grid(G, rows, cols, chosen, psi=r.psi, truncation_cutoff=r.cutoff, noise_mode=r.noise_mode,
                             class_idx=r.class_idx)


def synthesize(G: torch.nn.Module, ws: torch.Tensor, noise_mode: str, noise: dict[str, torch.Tensor] | None = None,
               seed: int = 0) -> np.ndarray:
    """``G.synthesis(ws)`` as uint8; a projection's noise maps are used with ``const`` noise, and ``random`` noise is
    drawn from ``seed`` (so the same request gives the same image)."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        with use_noise_maps(G, noise if noise_mode == "const" else None):
            return to_uint8(G.synthesis(ws.to(next(G.parameters()).device), noise_mode=noise_mode))


def interpolation_image(G: torch.nn.Module, a: int, b: int, t: float, space: str, r: Rendering) -> np.ndarray:
    """The frame at ``t`` in [0, 1] between seeds ``a`` and ``b`` (``ganforge interpolate``): z-slerp then the mapping,
    or w-lerp; truncation after the interpolation."""
    device = next(G.parameters()).device
    z = z_from_seeds([a, b], G.z_dim, device)  # [2, z_dim]
    c = class_labels(G.c_dim, r.class_idx, 1, device)
    if not has_w(G):
        if space != "z" or r.psi != 1:
            require_mapping(G, "a w-lerp or truncation")
        with torch.no_grad():
            return to_uint8(G(slerp(z[:1], z[1:], t), c, noise_mode=r.noise_mode))
    with torch.no_grad():
        if space == "z":
            ws = G.mapping(slerp(z[:1], z[1:], t), c)  # [1, num_ws, w_dim]
        else:
            w = G.mapping(z, None if c is None else c.expand(2, -1))[:, 0]  # [2, w_dim]
            ws = lerp(w[:1], w[1:], t)[:, None, :].expand(-1, G.num_ws, -1)
        ws = truncate(ws, G.mapping.w_avg, r.psi, r.cutoff)
    return synthesize(G, ws, r.noise_mode, seed=a)


def cluster_ws(G: torch.nn.Module, centroid: torch.Tensor) -> torch.Tensor:
    """A centroid ``[w_dim]`` broadcast to every layer: ``[1, num_ws, w_dim]``."""
    require_mapping(G, "the W-cluster gallery")
    if centroid.shape[-1] != G.w_dim:
        raise ValueError(f"the clusters file has w_dim {centroid.shape[-1]}, this network {G.w_dim}")
    return centroid.reshape(1, 1, -1).expand(1, G.num_ws, -1).to(next(G.parameters()).device)


def seed_ws(G: torch.nn.Module, seed: int, r: Rendering) -> torch.Tensor:
    """``[1, num_ws, w_dim]`` of a seed, truncated."""
    return ws_from_seeds(G, [seed], psi=r.psi, truncation_cutoff=r.cutoff, class_idx=r.class_idx)


def edit(ws: torch.Tensor, directions: Directions, amounts: Sequence[float]) -> torch.Tensor:
    """``ws`` moved along each direction by its slider value (standard deviations)."""
    for k, amount in enumerate(amounts):
        if amount:
            ws = apply_direction(ws, directions, k, float(amount))
    return ws
