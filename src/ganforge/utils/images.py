"""Image tensors to uint8 arrays, PNG files and sample grids."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.utils.atomic import atomic_write


def to_uint8(img: torch.Tensor, drange: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """``[N, C, H, W]`` float in ``drange`` -> ``[N, H, W, C]`` uint8 (round to nearest, clipped)."""
    lo, hi = drange
    x = (img.detach().to(torch.float32).cpu() - lo) * (255 / (hi - lo))
    x = (x + 0.5).clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).numpy()


def make_grid(images: np.ndarray, cols: int | None = None, pad: int = 0) -> np.ndarray:
    """Tile ``[N, H, W, C]`` uint8 images into one ``[rows*H, cols*W, C]`` image."""
    n, h, w, c = images.shape
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.full([rows * (h + pad) - pad, cols * (w + pad) - pad, c], 255, dtype=np.uint8)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * (h + pad):r * (h + pad) + h, k * (w + pad):k * (w + pad) + w] = images[i]
    return grid


def save_png(array: np.ndarray, path: str | Path) -> Path:
    """Write an ``[H, W, C]`` uint8 array (C = 1, 2, 3 or 4) as PNG atomically (temp file + rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[array.shape[2]]
    pil = Image.fromarray(array[:, :, 0] if mode == "L" else array, mode)
    atomic_write(path, lambda tmp: pil.save(tmp, format="PNG"))
    return path
