"""Size limits of networks, checked on the ``meta`` device before anything is allocated.

A model config is a few numbers, and a forged or mistyped one (``z_dim`` 1e9 in a checkpoint, a 16000-wide
mapping inferred from a forged ``.pt``) would make the constructor allocate gigabytes before any other check
runs. :func:`network_shapes` builds G and D on ``torch.device("meta")`` (shapes only, no memory), sums their
fp32 bytes and refuses networks over :data:`MAX_NETWORK_BYTES`; the shapes it returns let loaders compare a
file's tensors with the config before building the real networks.
"""

from __future__ import annotations

from typing import Any

import torch

from ganforge.models.base import build_discriminator, build_generator

MAX_NETWORK_BYTES = 4 * 1024**3
"""Largest network (fp32 parameters + buffers of G or of D) that a config may declare: 4 GiB, the same cap as
:data:`ganforge.compat.unpickler.DEFAULT_MAX_BYTES`. StyleGAN2 config F at 1024px is about 120 MiB."""

Shapes = dict[str, tuple[int, ...]]


def _format_bytes(num_bytes: int) -> str:
    from ganforge.compat.storage_blob import format_bytes

    return format_bytes(num_bytes)


def network_shapes(cfg: Any, d: str | None = None, *, where: str, max_bytes: int = MAX_NETWORK_BYTES,
                   with_d: bool = True) -> dict[str, Shapes]:
    """``{"G": {key: shape}, "D": {...}}`` of the networks ``cfg`` describes, built on the meta device.

    Args:
        cfg: A registered model config (e.g. ``StyleGAN2Config``).
        d: Discriminator name (``None``: the family's own).
        where: The file or flag the config came from (starts the error message).
        max_bytes: Refuse a network whose fp32 state is larger than this.
        with_d: Also build (and check) the discriminator.

    Raises:
        ValueError: The config cannot build its networks, or one is over ``max_bytes``.
    """
    builders = {"G": lambda: build_generator(cfg)}
    if with_d:
        builders["D"] = lambda: build_discriminator(cfg, d)
    shapes: dict[str, Shapes] = {}
    for name, build in builders.items():
        try:
            with torch.device("meta"):
                module = build()
        except (ValueError, TypeError, KeyError, RuntimeError, OverflowError) as exc:
            raise ValueError(f"{where}: the model config cannot build {name}: {exc}") from None
        state = module.state_dict()
        num_bytes = sum(t.numel() * max(t.element_size(), 4) for t in state.values())
        if num_bytes > max_bytes:
            sizes = {k: getattr(cfg, k) for k in ("z_dim", "w_dim", "c_dim", "channel_max") if hasattr(cfg, k)}
            raise ValueError(f"{where}: the model config declares a {name} of {_format_bytes(num_bytes)} "
                             f"({sizes}), over the {_format_bytes(max_bytes)} limit")
        shapes[name] = {k: tuple(t.shape) for k, t in state.items()}
    return shapes


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
