"""Atomic file writes: write a temp file next to the target, fsync it, rename it over the target.

A crash at any point leaves either the old file or the new one, never a half-written file (checkpoints,
dataset archives, PNGs all go through here).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable


def atomic_write(path: str | Path, write: Callable[[str], None], *, mode: int = 0o644) -> Path:
    """``write(tmp)`` fills a temp file next to ``path``; it is fsynced, renamed over ``path``, and the folder fsynced.

    Args:
        path: The target file (its folder is created).
        write: Writes the whole content to the temp file path it is given.
        mode: Permissions of the result (``mkstemp`` would leave 0600).

    Returns:
        ``path`` as a ``Path``. On any exception the temp file is removed and an existing ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            write(tmp)  # the same inode as ``fd``: fsync(fd) flushes what ``write`` wrote
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable (not possible on every platform)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
