"""Size limits of networks, checked while a network is built, before each tensor is allocated.

A model config is a few numbers, and a forged or mistyped one (``z_dim`` 1e9 in a checkpoint, a 16000-wide
mapping inferred from a forged ``.pt``) would make the constructor allocate gigabytes before any other check
runs. :func:`allocation_budget` refuses, before it runs, any tensor factory (``randn``, ``zeros``, ...) that
would take the bytes allocated during a build over a budget; :func:`network_shapes` builds G and D that way
(random factories return uninitialised memory and the global RNG is untouched) and returns their shapes, so
loaders can compare a file's tensors with its config before building the real networks. (The ``meta``
device would allocate nothing, but its first arithmetic op imports torch's compiler stack, about 70 MB.)
"""

from __future__ import annotations

import contextlib
import math
from typing import Any, Iterator

import torch
from torch.overrides import TorchFunctionMode

from ganforge.models.base import build_discriminator, build_generator

MAX_NETWORK_BYTES = 4 * 1024**3
"""Largest network (fp32 parameters + buffers of G or of D) that a config may declare: 4 GiB, the same cap as
:data:`ganforge.compat.unpickler.DEFAULT_MAX_BYTES`. StyleGAN2 config F at 1024px is about 120 MiB."""

Shapes = dict[str, tuple[int, ...]]

_SIZED_FACTORIES = (torch.randn, torch.rand, torch.empty, torch.zeros, torch.ones)
_RANDOM = (torch.randn, torch.rand)


def _format_bytes(num_bytes: int) -> str:
    from ganforge.compat.storage_blob import format_bytes

    return format_bytes(num_bytes)


def _requested(func: Any, args: tuple, kwargs: dict) -> tuple[tuple[int, ...], torch.dtype] | None:
    """``(size, dtype)`` a factory call asks for, or ``None`` for anything else."""
    if func is torch.full:
        size = args[0] if args else kwargs.get("size")
    elif func in _SIZED_FACTORIES:
        size = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list, torch.Size)) else args or kwargs.get("size")
    else:
        return None
    try:
        size = tuple(int(s) for s in size)
    except (TypeError, ValueError):
        return None
    return size, kwargs.get("dtype") or torch.get_default_dtype()


class _Budget(TorchFunctionMode):
    def __init__(self, max_bytes: int, where: str):
        super().__init__()
        self.max_bytes, self.where, self.used = max_bytes, where, 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        request = _requested(func, args, kwargs)
        if request is not None:
            size, dtype = request
            self.used += math.prod(size) * dtype.itemsize
            if self.used > self.max_bytes:
                raise ValueError(f"{self.where}: the model config asks for a tensor of size {list(size)}, which takes "
                                 f"the network over {_format_bytes(self.max_bytes)} (the limit for this file)")
            if func in _RANDOM:  # shapes are all that matter here: no RNG use, no time spent on init
                return torch.empty(size, dtype=kwargs.get("dtype"), requires_grad=kwargs.get("requires_grad", False))
        return func(*args, **kwargs)


@contextlib.contextmanager
def allocation_budget(max_bytes: int, where: str) -> Iterator[None]:
    """Inside, tensor factories that would take the bytes allocated so far over ``max_bytes`` raise ``ValueError``
    (naming ``where``) before allocating; ``randn``/``rand`` return uninitialised tensors and leave the RNG alone."""
    with _Budget(max_bytes, where):
        yield


def network_shapes(cfg: Any, d: str | None = None, *, where: str, max_bytes: int = MAX_NETWORK_BYTES,
                   with_d: bool = True, d_options: dict[str, Any] | None = None) -> dict[str, Shapes]:
    """``{"G": {key: shape}, "D": {...}}`` of the networks ``cfg`` describes, built within an allocation budget.

    Args:
        cfg: A registered model config (e.g. ``StyleGAN2Config``).
        d: Discriminator name (``None``: the family's own).
        where: The file or flag the config came from (starts the error message).
        max_bytes: Budget of each network's build (capped at :data:`MAX_NETWORK_BYTES`); loaders pass about the
            size of the tensors the file holds.
        with_d: Also build (and check) the discriminator.
        d_options: The discriminator's options (``model.d_options``).

    Raises:
        ValueError: The config cannot build its networks, or one would go over the budget.
    """
    builders = {"G": lambda: build_generator(cfg)}
    if with_d:
        builders["D"] = lambda: build_discriminator(cfg, d, d_options)
    shapes: dict[str, Shapes] = {}
    for name, build in builders.items():
        try:
            with torch.random.fork_rng(devices=[]), allocation_budget(min(max_bytes, MAX_NETWORK_BYTES), where):
                module = build()  # fork_rng: in-place inits (kaiming_uniform_, ...) leave the caller's RNG as it was
        except (TypeError, KeyError, RuntimeError, OverflowError) as exc:
            raise ValueError(f"{where}: the model config cannot build {name}: {exc}") from None
        shapes[name] = {k: tuple(t.shape) for k, t in module.state_dict().items()}
        del module
    return shapes


def stored_budget(tensors: Any) -> int:
    """Build budget for networks that must fit tensors a file holds: twice their fp32 bytes plus 64 MiB of slack."""
    num_bytes = sum(t.numel() * max(t.element_size(), 4) for t in tensors if isinstance(t, torch.Tensor))
    return 2 * num_bytes + 64 * 1024**2


def shape_problems(expected: Shapes, got: dict[str, torch.Tensor], *, strict: bool = True) -> str | None:
    """Why the tensors ``got`` do not fit ``expected`` (missing / unexpected keys, wrong shapes), or ``None``.

    ``strict=False`` compares only the shapes of the keys both have (a discriminator may carry extra
    parametrisation tensors, e.g. spectral norm's).
    """
    missing = sorted(set(expected) - set(got)) if strict else []
    unexpected = sorted(set(got) - set(expected)) if strict else []
    wrong = sorted(k for k in set(expected) & set(got) if tuple(got[k].shape) != expected[k])
    parts = [f"{label} {keys[:3]}{' ...' if len(keys) > 3 else ''}"
             for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
    if wrong:
        key = wrong[0]
        parts[-1] += f" ({key}: stored {list(got[key].shape)}, the config needs {list(expected[key])})"
    return "; ".join(parts) or None
