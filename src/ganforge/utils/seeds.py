"""Seed lists and latents the way the official CLI makes them (``--seeds 0-7``)."""

from __future__ import annotations

import numpy as np
import torch

from ganforge.utils.limits import MAX_SEEDS


def parse_seeds(text: str) -> list[int]:
    """Parse ``"0-3,7,10-11"`` into ``[0, 1, 2, 3, 7, 10, 11]``; ``ValueError`` names the bad part."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = part.split("-", 1)
                lo_i, hi_i = int(lo), int(hi)
                if hi_i < lo_i:
                    raise ValueError
                count = hi_i - lo_i + 1
            else:
                lo_i = hi_i = int(part)
                count = 1
        except (TypeError, ValueError):
            raise ValueError(f"--seeds: cannot parse {part!r}; use e.g. '0-7' or '1,5,9'") from None
        if len(seeds) + count > MAX_SEEDS:  # checked before the list is built
            raise ValueError(f"--seeds {text}: {len(seeds) + count} seeds, over the limit of {MAX_SEEDS}")
        seeds.extend(range(lo_i, hi_i + 1))
    if not seeds:
        raise ValueError("--seeds: no seeds given")
    if any(s < 0 or s >= 2**32 for s in seeds):
        raise ValueError("--seeds: seeds must be in [0, 2**32)")
    return seeds


def z_from_seeds(seeds: list[int], z_dim: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """``z[i] = RandomState(seeds[i]).randn(z_dim)``, as the official generate.py draws it: ``[N, z_dim]``."""
    z = np.stack([np.random.RandomState(seed).randn(z_dim) for seed in seeds])
    return torch.from_numpy(z).to(device=device, dtype=torch.float32)
