"""An endless, deterministic, resumable stream of dataset indices.

Epoch ``e`` visits every index once, in the order ``np.random.RandomState(seed + e).permutation(size)``
(or ``0..size-1`` without shuffling). The stream is a pure function of ``(size, seed, shuffle)``, so
its state is just the position in it: save ``state_dict()`` with the checkpoint and ``take`` continues
exactly after ``load_state_dict``. Nothing is rank-specific: every rank calls ``take(global_batch)`` and
keeps its own slice.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class InfiniteSampler:
    """Endless stream of indices in ``[0, size)``, one permutation per epoch.

    Args:
        size: number of items (``len(dataset)``).
        seed: seed of epoch 0; epoch ``e`` uses ``seed + e``.
        shuffle: permute each epoch (otherwise the identity order).
    """

    def __init__(self, size: int, *, seed: int = 0, shuffle: bool = True):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"InfiniteSampler: size must be a positive integer, got {size!r}")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"InfiniteSampler: seed must be a non-negative integer, got {seed!r}")
        self.size = int(size)
        self.seed = int(seed)
        self.shuffle = bool(shuffle)
        self.position = 0  # number of indices taken so far
        self._epoch = -1
        self._order = np.empty([0], dtype=np.int64)

    def epoch_order(self, epoch: int) -> np.ndarray:
        """``int64 [size]``: the order of epoch ``epoch``."""
        if not self.shuffle:
            return np.arange(self.size, dtype=np.int64)
        # RandomState seeds must be < 2**32.
        return np.random.RandomState((self.seed + epoch) % (1 << 32)).permutation(self.size).astype(np.int64)

    @property
    def epoch(self) -> int:
        """The epoch that the next index belongs to."""
        return self.position // self.size

    def take(self, n: int) -> np.ndarray:
        """The next ``n`` indices of the stream, ``int64 [n]`` (crossing epoch boundaries as needed)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"InfiniteSampler.take: n must be a non-negative integer, got {n!r}")
        out = np.empty([int(n)], dtype=np.int64)
        filled = 0
        while filled < n:
            epoch, offset = divmod(self.position, self.size)
            if epoch != self._epoch:
                self._epoch, self._order = epoch, self.epoch_order(epoch)
            count = min(int(n) - filled, self.size - offset)
            out[filled:filled + count] = self._order[offset:offset + count]
            filled += count
            self.position += count
        return out

    def __iter__(self) -> "InfiniteSampler":
        return self

    def __next__(self) -> int:
        """One index at a time (e.g. as a ``torch.utils.data.DataLoader`` sampler)."""
        return int(self.take(1)[0])

    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state: ``{"size", "seed", "shuffle", "position"}``."""
        return {"size": self.size, "seed": self.seed, "shuffle": self.shuffle, "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a saved state (``size`` and ``shuffle``, when present, must match this sampler)."""
        if not isinstance(state, dict) or "position" not in state or "seed" not in state:
            raise ValueError(f"InfiniteSampler.load_state_dict: expected a dict with seed and position, got {state!r}")
        if state.get("size", self.size) != self.size:
            raise ValueError(f"InfiniteSampler.load_state_dict: saved for size {state['size']}, this sampler has "
                             f"size {self.size} (the dataset changed?)")
        if bool(state.get("shuffle", self.shuffle)) != self.shuffle:
            raise ValueError("InfiniteSampler.load_state_dict: saved with shuffle="
                             f"{state['shuffle']}, this sampler has shuffle={self.shuffle}")
        position, seed = state["position"], state["seed"]
        if not isinstance(position, int) or position < 0 or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"InfiniteSampler.load_state_dict: bad seed/position {seed!r}/{position!r}")
        self.seed, self.position = seed, position
        self._epoch = -1  # recompute the permutation on the next take

    def __repr__(self) -> str:
        return f"InfiniteSampler(size={self.size}, seed={self.seed}, shuffle={self.shuffle}, position={self.position})"
