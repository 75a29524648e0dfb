"""Keep freed memory in the process instead of returning it to the OS after every large tensor (glibc only).

PyTorch's CPU tensors come from ``malloc``. glibc serves blocks above ``M_MMAP_THRESHOLD`` (at most 32 MiB) with a
fresh ``mmap`` and unmaps them on free, so every large activation (a ``[16, 256, 64, 64]`` fp32 tensor is 64 MiB)
is page-faulted and zeroed by the kernel again on every forward pass: about 15 ms per 64 MiB here, 10-13 % of a
StyleGAN2 forward or training step at 64². Serving large blocks from the heap and not trimming it (``M_MMAP_MAX = 0``,
a high ``M_TRIM_THRESHOLD``) reuses the pages instead; PyTorch's CPU tuning guide gets the same effect from jemalloc
or tcmalloc. The cost: the process keeps its peak heap until it exits.

The ``ganforge`` command turns this on at start; Python users can call :func:`keep_freed_memory` themselves.
``GANFORGE_MALLOC_TUNING=0`` disables it. On other C libraries (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

__all__ = ["keep_freed_memory", "ENV_VAR"]

ENV_VAR = "GANFORGE_MALLOC_TUNING"
_M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
_M_MMAP_MAX = -4
_TRIM_THRESHOLD = 2**31 - 1  # mallopt takes an int

_applied: bool | None = None


def keep_freed_memory(force: bool = False) -> bool:
    """Ask glibc to keep freed memory for reuse (no mmap for large blocks, no heap trimming).

    Args:
        force: Apply even when ``GANFORGE_MALLOC_TUNING=0`` is set.

    Returns:
        Whether the setting is in effect (``False`` off glibc, or when disabled by the environment variable).
    """
    global _applied
    if _applied is not None and not force:
        return _applied
    _applied = False
    if not force and os.environ.get(ENV_VAR, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    return _applied
