"""Target images for projection and detection: image files, folders or zips, as uint8 ``[N, C, H, W]``."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ganforge.data.dataset import ImageDataset
from ganforge.data.transforms import BadImageError, decode_image


def _fit_channels(img: np.ndarray, channels: int, where: str) -> np.ndarray:
    """``[C, H, W]`` -> ``[channels, H, W]``: drop alpha, grey <-> RGB."""
    c = img.shape[0]
    if c == channels:
        return img
    if c in (2, 4):  # drop alpha
        img, c = img[:-1], c - 1
    if c == channels:
        return img
    if c == 1 and channels == 3:
        return img.repeat(3, axis=0)
    if c == 3 and channels == 1:
        return np.round(img.astype(np.float64).T @ [0.299, 0.587, 0.114]).T[None].clip(0, 255).astype(np.uint8)
    raise ValueError(f"{where}: {c}-channel image, the network makes {channels}-channel images")


def load_images(paths: str | Path | Sequence[str | Path], *, resolution: int | tuple[int, int] | None = None,
                channels: int | None = None,
                max_images: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """Read images from files, folders and zips: ``(uint8 [N, C, H, W], names)``.

    Args:
        paths: One path or several; a folder or zip contributes all its images (sorted by name).
        resolution: Required size, a side or ``(height, width)`` (``ValueError`` otherwise); ``None`` = any, but all
            equal.
        channels: Convert to this many channels (alpha dropped, grey repeated).
        max_images: Keep at most this many (the first ones).

    Raises:
        ValueError: A missing or unreadable file, or a size that does not fit.
    """
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    images, names = [], []
    for p in map(Path, paths):
        if p.is_dir() or (p.is_file() and p.suffix.lower() == ".zip"):
            ds = ImageDataset(p)
            n = len(ds) if max_images is None else min(len(ds), max_images - len(images))
            for i in range(max(0, n)):
                images.append(ds[i][0])
                names.append(f"{p.name}/{ds._fnames[i]}")
        elif p.is_file():
            try:
                arr = np.asarray(decode_image(p.read_bytes()), dtype=np.uint8)
            except BadImageError as exc:
                raise ValueError(f"{p}: {exc}") from None
            images.append(arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1))
            names.append(p.name)
        else:
            raise ValueError(f"{p}: no such image, folder or zip")
        if max_images is not None and len(images) >= max_images:
            break
    if not images:
        raise ValueError(f"no images found in {', '.join(map(str, paths))}")
    images = images[:max_images] if max_images is not None else images
    names = names[:len(images)]
    size = (resolution, resolution) if isinstance(resolution, int) else resolution
    for img, name in zip(images, names):
        if size is not None and img.shape[1:] != tuple(size):
            raise ValueError(f"{name}: image is {img.shape[2]}x{img.shape[1]}, the network makes "
                             f"{size[1]}x{size[0]} (resize it first, e.g. with `ganforge dataset`)")
        if img.shape[1:] != images[0].shape[1:]:
            raise ValueError(f"{name}: image size {img.shape[1:]} differs from {names[0]} {images[0].shape[1:]}")
    if channels is not None:
        images = [_fit_channels(img, channels, name) for img, name in zip(images, names)]
    return torch.from_numpy(np.stack(images)), names
