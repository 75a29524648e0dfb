"""Checks of a loaded checkpoint's networks against its own model config, before any network is built.

A checkpoint's sha256 proves it was not damaged, not that whoever wrote it was honest: a re-signed file may
declare ``z_dim`` 1e9 (gigabytes at build time) or hold tensors of the wrong shape (a ``RuntimeError`` deep in
``load_state_dict``). :func:`check_networks` turns both into one ``ValueError`` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganforge.models.limits import network_shapes, shape_problems, stored_budget


def _model_section(config: Any) -> tuple[dict, str | None, dict] | None:
    """``(model config dict, discriminator name, its options)`` of a sectioned or 0.x flat training config; ``None``
    without one."""
    model = config.get("model") if isinstance(config, dict) else None
    if not isinstance(model, dict):
        return None
    if "arch" in model:  # sectioned: {"family", "arch", "d", "d_options", ...}
        d, options = model.get("d"), model.get("d_options")
        return model["arch"], d if isinstance(d, str) else None, options if isinstance(options, dict) else {}
    return model, None, {}


def check_networks(path: Path, config: Any, modules: dict[str, dict[str, torch.Tensor]]) -> None:
    """Refuse a checkpoint whose model config is over the size limits or does not match its G / G_ema / D tensors.

    Checkpoints without a model config (``config["model"]``) are generic containers and are not checked.

    Raises:
        ValueError: Naming ``path``: an invalid or oversized model config, or tensors that do not fit it.
    """
    if not any(name in modules for name in ("G", "G_ema", "D")):
        return
    found = _model_section(config)
    if found is None:
        return
    model, d, d_options = found
    from ganforge.models import model_config_from_dict

    try:
        cfg = model_config_from_dict(model)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"{path}: the checkpoint's model config is invalid: {exc}") from None
    budget = stored_budget(t for name in ("G", "G_ema", "D") for t in modules.get(name, {}).values())
    expected = network_shapes(cfg, d, where=str(path), max_bytes=budget, with_d="D" in modules, d_options=d_options)
    for name in ("G", "G_ema", "D"):
        if name in modules:
            problem = shape_problems(expected["D" if name == "D" else "G"], modules[name], strict=name != "D")
            if problem:
                raise ValueError(f"{path}: the {name} tensors do not fit the checkpoint's model config: {problem}")
