"""Sample grids written during training: the same fixed seeds every tick, so progress is visible frame to frame.

Grid cell i uses seed i with the official latent (``RandomState(i).randn(z_dim)``), ``noise_mode='const'`` and psi 1,
so ``ganforge generate --network CKPT --seeds 0-63 --grid`` redraws exactly the grid of that checkpoint.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.utils.images import make_grid, to_uint8
from ganforge.utils.seeds import z_from_seeds


def grid_latents(grid_size: int, z_dim: int, c_dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``z [n, z_dim]`` for seeds ``0..n-1`` (n = grid_size^2) and one-hot ``c`` cycling through the classes."""
    n = grid_size * grid_size
    z = z_from_seeds(list(range(n)), z_dim, device)
    c = None
    if c_dim > 0:
        c = torch.nn.functional.one_hot(torch.arange(n, device=device) % c_dim, c_dim).to(torch.float32)
    return z, c


@torch.no_grad()
def render_grid(G: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None, *, batch_size: int = 32) -> np.ndarray:
    """``G(z, c)`` tiled into one ``[H, W, C]`` uint8 image (G in eval mode for the call)."""
    was_training = G.training
    G.eval()
    images = []
    for i in range(0, z.shape[0], batch_size):
        cb = c[i:i + batch_size] if c is not None else None
        images.append(to_uint8(G(z[i:i + batch_size], cb, noise_mode="const")))
    G.train(was_training)
    grid_size = int(round(z.shape[0] ** 0.5))
    return make_grid(np.concatenate(images), cols=grid_size)


def real_grid(images: torch.Tensor) -> np.ndarray:
    """A grid of dataset images ``[N, C, H, W]`` uint8."""
    grid_size = int(round(images.shape[0] ** 0.5))
    return make_grid(images.permute(0, 2, 3, 1).cpu().numpy(), cols=grid_size)
