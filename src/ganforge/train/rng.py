"""Capture and restore every global random number generator, for exact resume.

A resumed run must draw the same latents, augmentations and noise as the run that was never
interrupted, so a checkpoint stores the state of Python's ``random``, NumPy's global
``RandomState``, the torch CPU generator and the torch CUDA generators (one per device).
The captured state is a plain tree (tuples, ints, a NumPy array, uint8 tensors) that
:func:`ganforge.train.checkpoint.pack_tree` stores without pickle.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import numpy as np
import torch

RNG_KEYS = ("python", "numpy", "torch_cpu", "torch_cuda")


def capture_rng_state() -> dict[str, Any]:
    """Snapshot the global generators.

    Returns:
        ``{"python": random.getstate(), "numpy": np.random.get_state(), "torch_cpu": uint8 tensor,
        "torch_cuda": [uint8 tensor per CUDA device]}`` (``torch_cuda`` is empty without CUDA).
    """
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch_cpu": torch.get_rng_state(),
        "torch_cuda": [state.cpu() for state in cuda],
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore generators captured by :func:`capture_rng_state` (keys that are absent are left alone).

    CUDA states are restored for the devices that exist now; when the device count differs from
    the captured one, a warning says that random draws on the GPU will not repeat exactly.

    Raises:
        ValueError: ``state`` is not a dict or has unknown keys.
    """
    if not isinstance(state, dict):
        raise ValueError(f"RNG state must be a dict, got {type(state).__name__}")
    unknown = sorted(set(state) - set(RNG_KEYS))
    if unknown:
        raise ValueError(f"RNG state has unknown key(s) {unknown}; expected some of {list(RNG_KEYS)}")
    if "python" in state:
        version, internal, gauss_next = state["python"]
        random.setstate((version, tuple(internal), gauss_next))
    if "numpy" in state:
        np.random.set_state(tuple(state["numpy"]))
    if "torch_cpu" in state:
        torch.set_rng_state(state["torch_cpu"].cpu())
    cuda_states = list(state.get("torch_cuda", []))
    num_devices = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if cuda_states and num_devices != len(cuda_states):
        warnings.warn(f"checkpoint holds {len(cuda_states)} CUDA RNG state(s) but {num_devices} CUDA device(s) "
                      "are visible: GPU random draws will not repeat the interrupted run exactly", stacklevel=2)
    for idx in range(min(num_devices, len(cuda_states))):
        torch.cuda.set_rng_state(cuda_states[idx].cpu(), device=idx)
