"""Writing and reading short videos: GIF (Pillow, no extra dependency) and MP4 (imageio + imageio-ffmpeg).

Install the MP4 writer with ``pip install ganforge[video]``. Writes are atomic: the video is encoded
into a temp file next to the target and renamed over it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ganforge.utils.atomic import atomic_write

FORMATS = (".gif", ".mp4")


def upscale(frames: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of ``[F, H, W, C]`` by an integer factor (small GAN images are tiny on screen)."""
    if factor == 1:
        return frames
    return frames.repeat(factor, axis=1).repeat(factor, axis=2)


def _imageio():
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg  # noqa: F401  (the MP4 backend)
    except ImportError:
        return None
    return imageio


def write_video(frames: np.ndarray, path: str | Path, *, fps: float = 30.0, scale: int = 1, quality: float = 8.0) -> Path:
    """Write ``frames [F, H, W, C]`` uint8 (C = 1 or 3) as a GIF or MP4, chosen by the suffix.

    Args:
        frames: The video.
        path: ``.gif`` or ``.mp4``.
        fps: Frames per second.
        scale: Integer nearest-neighbour upscaling.
        quality: MP4 quality, 0-10 (imageio's scale).

    Raises:
        ValueError: An unknown suffix, bad frames, or MP4 without imageio-ffmpeg installed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{path}: video format must be one of {', '.join(FORMATS)}")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.dtype != np.uint8 or frames.shape[3] not in (1, 3) or len(frames) == 0:
        raise ValueError(f"video frames must be a non-empty [F, H, W, 1|3] uint8 array, got {frames.shape} {frames.dtype}")
    frames = upscale(frames, scale)
    if frames.shape[3] == 1:
        frames = frames.repeat(3, axis=3)
    if suffix == ".gif":
        pil = [Image.fromarray(f) for f in frames]
        duration = max(1, round(1000 / fps))  # ms per frame (GIF stores 1/100 s)
        return atomic_write(path, lambda tmp: pil[0].save(tmp, format="GIF", save_all=True, append_images=pil[1:],
                                                          duration=duration, loop=0, optimize=False, disposal=1))
    imageio = _imageio()
    if imageio is None:
        raise ValueError(f"{path}: writing MP4 needs imageio and imageio-ffmpeg (pip install 'ganforge[video]'); "
                         f"or write a .gif instead")

    def write(tmp: str) -> None:
        named = tmp + ".mp4"  # ffmpeg picks the container from the suffix
        try:
            # macro_block_size=1 keeps small frames at their size (sizes must still be even for yuv420p)
            with imageio.get_writer(named, format="FFMPEG", mode="I", fps=fps, codec="libx264", quality=quality,
                                    pixelformat="yuv420p", macro_block_size=1, ffmpeg_log_level="error") as writer:
                for f in frames:
                    writer.append_data(f)
            os.replace(named, tmp)
        finally:
            Path(named).unlink(missing_ok=True)

    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise ValueError(f"{path}: MP4 (yuv420p) needs even frame sizes, got {frames.shape[2]}x{frames.shape[1]}; use --scale 2")
    return atomic_write(path, write)


def read_video(path: str | Path) -> np.ndarray:
    """Decode all frames: ``[F, H, W, 3]`` uint8 (GIF via Pillow, MP4 via imageio)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        with Image.open(path) as im:
            out = []
            for i in range(im.n_frames):
                im.seek(i)
                out.append(np.asarray(im.convert("RGB")))
        return np.stack(out)
    imageio = _imageio()
    if imageio is None:
        raise ValueError(f"{path}: reading MP4 needs imageio and imageio-ffmpeg (pip install 'ganforge[video]')")
    with imageio.get_reader(path, format="FFMPEG") as reader:
        return np.stack([np.asarray(f) for f in reader])
