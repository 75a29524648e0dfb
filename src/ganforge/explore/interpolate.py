"""Latent walks through a list of seeds: z-slerp or w-lerp, one walk or a grid of walks.

A walk through keyframes ``k_0 .. k_{K-1}`` spends ``frames`` frames per transition: ``(K-1)*frames + 1``
frames (ending exactly on the last keyframe), or ``K*frames`` with ``loop`` (back to ``k_0``, which is
not repeated, so the video loops seamlessly).
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np
import torch
from tqdm import tqdm

from ganforge.explore.latents import lerp, slerp
from ganforge.inference.truncation import truncate
from ganforge.inference.generate import class_labels
from ganforge.models.network import generator_caps, require_mapping
from ganforge.utils.images import make_grid, to_uint8
from ganforge.utils.seeds import z_from_seeds

SPACES = ("z", "w")


def walk_positions(num_keys: int, frames: int, loop: bool) -> list[tuple[int, int, float]]:
    """``(from_key, to_key, t)`` per frame of a walk."""
    if num_keys < 2:
        raise ValueError(f"an interpolation needs at least 2 seeds, got {num_keys}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"--frames must be an int >= 1 (frames per transition), got {frames!r}")
    transitions = num_keys if loop else num_keys - 1
    out = [(k, (k + 1) % num_keys, f / frames) for k in range(transitions) for f in range(frames)]
    if not loop:
        out.append((num_keys - 2, num_keys - 1, 1.0))
    return out


@torch.no_grad()
def walk_ws(G: torch.nn.Module, seeds: Sequence[int], frames: int, *, space: Literal["z", "w"] = "z",
            loop: bool = False, psi: float = 1.0, truncation_cutoff: int | None = None,
            class_idx: int | None = None) -> torch.Tensor:
    """``ws: [F, num_ws, w_dim]`` of a walk (``space='z'``: slerp of z then mapping; ``'w'``: lerp of w).

    Truncation is applied to every frame's w (toward ``w_avg``), after the interpolation.
    """
    if space not in SPACES:
        raise ValueError(f"--space must be one of {list(SPACES)}, got {space!r}")
    device = next(G.parameters()).device
    pos = walk_positions(len(seeds), frames, loop)
    a = torch.tensor([p[0] for p in pos], device=device)
    b = torch.tensor([p[1] for p in pos], device=device)
    t = torch.tensor([p[2] for p in pos], device=device, dtype=torch.float32)[:, None]  # [F, 1]
    z = z_from_seeds(list(seeds), G.z_dim, device)  # [K, z_dim]
    c = class_labels(G.c_dim, class_idx, len(pos), device)
    if space == "z":
        ws = G.mapping(slerp(z[a], z[b], t), c)  # [F, num_ws, w_dim]
    else:
        keys = G.mapping(z, None if c is None else c[:len(seeds)])[:, 0]  # [K, w_dim]
        ws = lerp(keys[a], keys[b], t)[:, None, :].expand(-1, G.num_ws, -1)
    return truncate(ws, G.mapping.w_avg, psi, truncation_cutoff)


@torch.no_grad()
def interpolation_frames(G: torch.nn.Module, walks: Sequence[Sequence[int]], frames: int, *,
                         space: Literal["z", "w"] = "z", loop: bool = False, psi: float = 1.0,
                         truncation_cutoff: int | None = None, noise_mode: str = "const",
                         class_idx: int | None = None, grid_cols: int | None = None, batch_size: int = 32,
                         progress: bool = False) -> np.ndarray:
    """Frames of one or several walks at once: ``[F, H', W', C]`` uint8 (walks tiled ``grid_cols`` wide).

    Args:
        walks: One seed list per walk; all of the same length (so that they share the frame count).
        frames: Frames per transition.
    """
    walks = [list(w) for w in walks]
    if not walks or len({len(w) for w in walks}) != 1:
        raise ValueError(f"all walks need the same number of seeds, got {[len(w) for w in walks]}")
    if not generator_caps(G).has_mapping:  # no W space (R3GAN, DCGAN): slerp of z, straight through G
        if space != "z" or psi != 1:
            require_mapping(G, "a W-space walk or truncation (use --space z, --trunc 1)")
        return _z_frames(G, walks, frames, loop=loop, noise_mode=noise_mode, class_idx=class_idx,
                         grid_cols=grid_cols, batch_size=batch_size)
    ws = torch.stack([walk_ws(G, w, frames, space=space, loop=loop, psi=psi, truncation_cutoff=truncation_cutoff,
                              class_idx=class_idx) for w in walks], dim=1)  # [F, walks, num_ws, w_dim]
    num_frames, num_walks = ws.shape[:2]
    flat = ws.reshape(num_frames * num_walks, G.num_ws, G.w_dim)
    imgs = []
    for start in tqdm(range(0, len(flat), batch_size), desc="frames", unit="batch", disable=not progress, leave=False):
        imgs.append(to_uint8(G.synthesis(flat[start:start + batch_size], noise_mode=noise_mode)))
    return _tile(np.concatenate(imgs).reshape(num_frames, num_walks, *imgs[0].shape[1:]), grid_cols)


def _tile(imgs: np.ndarray, grid_cols: int | None) -> np.ndarray:
    """``[F, walks, H, W, C]`` -> ``[F, H', W', C]`` (the walks tiled)."""
    if imgs.shape[1] == 1:
        return imgs[:, 0]
    cols = grid_cols or int(np.ceil(np.sqrt(imgs.shape[1])))
    return np.stack([make_grid(f, cols=cols) for f in imgs])


@torch.no_grad()
def _z_frames(G, walks, frames, *, loop, noise_mode, class_idx, grid_cols, batch_size) -> np.ndarray:
    """Frames of z-slerp walks for a generator without a mapping network: ``G(slerp(z_a, z_b, t), c)``."""
    device = next(G.parameters()).device
    pos = walk_positions(len(walks[0]), frames, loop)
    a, b = (torch.tensor([p[i] for p in pos], device=device) for i in (0, 1))
    t = torch.tensor([p[2] for p in pos], device=device, dtype=torch.float32)[:, None]  # [F, 1]
    zs = torch.stack([slerp(z[a], z[b], t) for z in (z_from_seeds(w, G.z_dim, device) for w in walks)], dim=1)
    flat = zs.reshape(-1, G.z_dim)  # [F * walks, z_dim]
    c = class_labels(G.c_dim, class_idx, len(flat), device)
    imgs = [to_uint8(G(flat[s:s + batch_size], None if c is None else c[s:s + batch_size], noise_mode=noise_mode))
            for s in range(0, len(flat), batch_size)]
    return _tile(np.concatenate(imgs).reshape(zs.shape[0], zs.shape[1], *imgs[0].shape[1:]), grid_cols)
