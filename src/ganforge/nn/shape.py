"""Shape checks at module boundaries (public forwards assert their input shapes)."""

from __future__ import annotations

from typing import Sequence

import torch


def assert_shape(tensor: torch.Tensor, ref_shape: Sequence[int | None], name: str = "tensor") -> None:
    """Raise ``ValueError`` naming ``name`` unless ``tensor`` has shape ``ref_shape`` (``None`` = any size)."""
    if not isinstance(tensor, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.ndim != len(ref_shape) or any(
        ref is not None and size != ref for size, ref in zip(tensor.shape, ref_shape)
    ):
        want = "[" + ", ".join("*" if r is None else str(r) for r in ref_shape) + "]"
        raise ValueError(f"{name} must have shape {want}, got {list(tensor.shape)}")
