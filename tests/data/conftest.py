"""Small image files for the data tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def write_image(path: Path, size: tuple[int, int] = (8, 8), mode: str = "RGB", seed: int = 0,
                fmt: str | None = None) -> np.ndarray:
    """Write a random image of ``size = (W, H)``; returns its pixels ``[H, W, C]``."""
    rng = np.random.RandomState(seed)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    pixels = rng.randint(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode).save(path, format=fmt)
    return pixels


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """Six good RGB images of mixed sizes in nested folders."""
    root = tmp_path / "src"
    sizes = [(8, 8), (16, 16), (12, 10), (10, 12), (8, 8), (20, 20)]
    for i, size in enumerate(sizes):
        write_image(root / ("sub" if i % 2 else "") / f"im{i}.png", size, seed=i)
    return root
