"""Import official StyleGAN2-ADA / StyleGAN3 network pickles (``network-snapshot-*.pkl``, NVIDIA pretrained).

``import_official_pkl(path)`` reads the file with :mod:`ganforge.compat.unpickler` (an allow-list of inert
stand-ins: nothing from the file is imported or executed), recognises which official code wrote it
(:mod:`ganforge.compat.official_kwargs`), rebuilds the matching ganforge ``StyleGAN2Config`` (or, for
StyleGAN3-T/R networks, ``StyleGAN3Config``: :mod:`ganforge.compat.official_sg3`) from the networks'
constructor kwargs, and flattens each network (G, D, G_ema) into a state dict exactly as ``module.state_dict()`` would (REFERENCE Part 1, section 4.4), cast to fp32. The augment pipe's settings and
``p``, and ``training_set_kwargs``, are kept as JSON-able data in ``NetworkData.metadata``.
"""

from __future__ import annotations

import hashlib
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.compat.base import BUILDERS, NetworkData
from ganforge.compat.official_kwargs import SOURCE_SG3_STYLEGAN3, detect_source, stylegan2_config
from ganforge.compat.official_sg3 import stylegan3_config
from ganforge.compat.storage_blob import short_repr
from ganforge.compat.unpickler import DEFAULT_MAX_BYTES, NDArrayStub, PersistentStub, load_restricted
from ganforge.config import Config
from ganforge.models.limits import allocation_budget, stored_budget

NETWORK_KEYS = ("G", "D", "G_ema")
SNAPSHOT_KEYS = frozenset({"training_set_kwargs", "augment_pipe", *NETWORK_KEYS})
MAX_MODULE_DEPTH = 32
"""Deepest submodule nesting accepted (official networks nest 4 levels)."""


def state_dict_of(stub: PersistentStub, where: str) -> dict[str, torch.Tensor]:
    """The ``state_dict()`` of an official module stub: same keys, same order, tensors as fp32 copies.

    Walks ``_parameters`` (skipping ``None``), ``_buffers`` (skipping ``None`` and
    ``_non_persistent_buffers_set``), then ``_modules``, prefixing ``name.`` at each level.
    """
    return _fp32_copies(_tensors_of(stub, where))


def _fp32_copies(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.to(dtype=torch.float32 if v.is_floating_point() else v.dtype, memory_format=torch.contiguous_format,
                    copy=True) for k, v in tensors.items()}


def _tensors_of(stub: PersistentStub, where: str) -> dict[str, torch.Tensor]:
    """:func:`state_dict_of` without the copies: views of the file's storages (checked before anything is copied)."""
    result: dict[str, torch.Tensor] = {}
    todo: list[tuple[str, Any, int]] = [("", stub, 0)]
    seen: set[int] = set()
    while todo:
        prefix, node, depth = todo.pop()
        # Official module trees are shallow trees; a forged cycle, shared subtree or long chain must not hang us.
        if id(node) in seen or depth > MAX_MODULE_DEPTH:
            raise ValueError(f"{where}: the module tree has a cycle, a shared submodule or is over "
                             f"{MAX_MODULE_DEPTH} levels deep (at {prefix.rstrip('.')[:200]!r})")
        seen.add(id(node))
        state = node.state
        parameters, buffers, modules = (state.get(k) or {} for k in ("_parameters", "_buffers", "_modules"))
        skip = state.get("_non_persistent_buffers_set") or set()
        if not all(isinstance(d, dict) for d in (parameters, buffers, modules)) or not isinstance(skip, (set, frozenset)):
            raise ValueError(f"{where}: malformed module state in {node.class_name} {prefix.rstrip('.')!r}")
        if not all(isinstance(k, str) for d in (parameters, buffers, modules) for k in d):
            raise ValueError(f"{where}: non-string names in {node.class_name} {prefix.rstrip('.')!r}")
        entries = [*parameters.items(), *((k, v) for k, v in buffers.items() if k not in skip)]
        for name, value in entries:
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"{where}: {prefix}{name} is a {type(value).__name__}, expected a tensor")
            result[f"{prefix}{name}"] = value
        children = []
        for name, child in modules.items():
            if child is None:
                continue
            if not isinstance(child, PersistentStub):
                raise ValueError(f"{where}: submodule {prefix}{name} is a {type(child).__name__}, not a network object")
            children.append((f"{prefix}{name}.", child, depth + 1))
        todo.extend(reversed(children))
    return result


def to_jsonable(value: Any, max_items: int = 10_000) -> Any:
    """Plain JSON data from unpickled values (dicts, lists, numbers, numpy scalars/arrays, small tensors).

    At most ``max_items`` values and 32 levels are converted (``"<...>"`` markers beyond): a pickle can share
    one list many times over, which would otherwise expand exponentially.
    """
    budget = [max_items]

    def convert(item: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > 32:
            return "<too large>"
        if item is None or isinstance(item, (bool, int, str)):
            return item
        if isinstance(item, float):
            return item if math.isfinite(item) else str(item)
        if isinstance(item, np.generic):
            return convert(item.item(), depth + 1)
        if isinstance(item, dict):
            return {k if isinstance(k, str) else short_repr(k): convert(v, depth + 1) for k, v in item.items()}
        if isinstance(item, (list, tuple, set, frozenset)):
            return [convert(v, depth + 1) for v in item]
        if isinstance(item, NDArrayStub) and item.array is not None:
            return convert(item.array.tolist(), depth + 1) if item.array.size <= 64 else f"<array {item.array.shape}>"
        if isinstance(item, torch.Tensor):
            return convert(item.tolist(), depth + 1) if item.numel() <= 64 else f"<tensor {list(item.shape)}>"
        if isinstance(item, PersistentStub):
            return f"<{item.class_name}>"
        return f"<{type(item).__name__}>"

    return convert(value, 0)


def _augment_pipe_extra(pipe: Any, where: str) -> dict[str, Any] | None:
    if pipe is None:
        return None
    if not isinstance(pipe, PersistentStub):
        raise ValueError(f"{where}: augment_pipe is a {type(pipe).__name__}, expected a network object")
    buffers = pipe.state.get("_buffers") or {}
    p = buffers.get("p") if isinstance(buffers, dict) else None
    return {
        "class_name": pipe.class_name,
        "init_kwargs": to_jsonable(pipe.attr("_init_kwargs", {})),
        "p": float(p) if isinstance(p, torch.Tensor) and p.numel() == 1 else None,
        "module_src_sha256": hashlib.sha256(pipe.module_src.encode("utf-8", "surrogatepass")).hexdigest(),
    }


def _check_layout(config: Config, name: str, state_dict: dict[str, torch.Tensor],
                  cache: dict[str, dict[str, tuple[int, ...]] | str]) -> str | None:
    """Why ``state_dict`` does not fit the ganforge network of ``config`` (``None`` when it fits).

    ``cache`` keeps the expected layout per network kind, so G and G_ema build one network between them.
    """
    kind = "D" if name == "D" else "G"
    if kind not in cache:
        try:  # within a budget of about the stored tensors' size: an oversized config is refused before allocating
            with torch.random.fork_rng(devices=[]), allocation_budget(stored_budget(state_dict.values()), "the pickle"):
                cache[kind] = {k: tuple(v.shape) for k, v in BUILDERS[name](config).state_dict().items()}
        except (ValueError, TypeError, RuntimeError) as exc:
            cache[kind] = f"the rebuilt config cannot build {name}: {exc}"
    expected = cache[kind]
    if isinstance(expected, str):
        return expected
    got = {k: tuple(v.shape) for k, v in state_dict.items()}
    missing, unexpected = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    wrong = sorted(k for k in set(expected) & set(got) if expected[k] != got[k])
    if not (missing or unexpected or wrong):
        return None
    parts = [f"{label} {keys[:5]}{' ...' if len(keys) > 5 else ''}"
             for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
    return f"the {name} tensors do not fit the rebuilt {config.name} config: " + "; ".join(parts)


def import_official_pkl(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> NetworkData:
    """Read an official StyleGAN2-ADA / StyleGAN3 (StyleGAN2 or T/R networks) pickle without executing anything in it.

    Args:
        path: A ``network-snapshot-*.pkl`` or pretrained ``.pkl`` (only ``G_ema`` is enough).
        max_bytes: Cap on the file size, the total tensor storage bytes and the total tensor bytes.

    Returns:
        :class:`NetworkData`: the networks as ganforge state dicts (fp32), their ``StyleGAN2Config`` or
        ``StyleGAN3Config``, the source code that wrote the file (``"stylegan2-ada-pytorch"``,
        ``"stylegan3/networks_stylegan2"`` or ``"stylegan3/networks_stylegan3"``) and, in
        ``metadata``:
        ``training_set_kwargs``, ``augment_pipe`` (``init_kwargs`` and ``p``), every network's ``init_kwargs``
        and ``module_src_sha256``, and ``skipped`` (a network that could not be converted, with the reason).

    Raises:
        ValueError: naming the file: not a pickle, truncated, refused globals (possibly malicious), too large,
            or options ganforge's StyleGAN2 / StyleGAN3 do not implement.
    """
    path = Path(path)
    data = load_restricted(path, max_bytes=max_bytes)
    try:
        return _convert(path, data)
    except (AttributeError, TypeError, KeyError, IndexError, RecursionError) as exc:  # odd types, odd nesting
        raise ValueError(f"{path}: malformed official network pickle ({type(exc).__name__}: {exc})") from None


def _convert(path: Path, data: Any) -> NetworkData:
    """:func:`import_official_pkl` on the unpickled top-level object."""
    if not isinstance(data, dict):
        raise ValueError(f"{path}: holds a {type(data).__name__}, not the dict of networks of an official pickle")
    stubs: dict[str, PersistentStub] = {}
    for name in NETWORK_KEYS:
        value = data.get(name)
        if value is not None and not isinstance(value, PersistentStub):
            raise ValueError(f"{path}: {name} is a {type(value).__name__}, not an official network object")
        if value is not None:
            stubs[name] = value
    main_name = "G_ema" if "G_ema" in stubs else "G"
    if main_name not in stubs:
        raise ValueError(f"{path}: holds no generator (keys: {short_repr(list(data))})")
    training_set_kwargs = data.get("training_set_kwargs")
    if training_set_kwargs is not None and not isinstance(training_set_kwargs, dict):
        raise ValueError(f"{path}: training_set_kwargs is a {type(training_set_kwargs).__name__}, expected a dict")

    source = detect_source(stubs[main_name])
    if stubs[main_name].class_name != "Generator":
        raise ValueError(f"{path}: {main_name} is a {stubs[main_name].class_name!r}, expected a 'Generator'")

    def config_of(G: PersistentStub, D: PersistentStub | None) -> tuple[Config, str | None]:
        if source == SOURCE_SG3_STYLEGAN3:
            return stylegan3_config(G, D, str(path))
        return stylegan2_config(G, D, source, str(path))

    config, d_problem = config_of(stubs[main_name], stubs.get("D"))
    if "G" in stubs and "G_ema" in stubs:
        g_config, ema_config = (config_of(stubs[k], None)[0] for k in ("G", "G_ema"))
        if g_config != ema_config:
            raise ValueError(f"{path}: G and G_ema were built with different settings")

    modules: dict[str, dict[str, torch.Tensor]] = {}
    skipped: dict[str, str] = {}
    layouts: dict[str, dict[str, tuple[int, ...]] | str] = {}
    for name, stub in stubs.items():
        problem = d_problem if name == "D" else None
        views = _tensors_of(stub, str(path)) if problem is None else {}
        problem = problem or _check_layout(config, name, views, layouts)  # shapes checked before any copy
        if problem is None:
            modules[name] = _fp32_copies(views)
        elif name == "D":
            skipped[name] = problem
            warnings.warn(f"{path}: D is not imported: {problem}", stacklevel=3)
        else:
            raise ValueError(f"{path}: {problem}")

    extra: dict[str, Any] = {
        "format": "official network pickle (torch_utils.persistence v6)",
        "training_set_kwargs": to_jsonable(training_set_kwargs),
        "augment_pipe": _augment_pipe_extra(data.get("augment_pipe"), str(path)),
        "init_kwargs": {name: to_jsonable(stub.attr("_init_kwargs", {})) for name, stub in stubs.items()},
        "module_src_sha256": {name: hashlib.sha256(stub.module_src.encode("utf-8", "surrogatepass")).hexdigest()
                              for name, stub in stubs.items()},
    }
    if skipped:
        extra["skipped"] = skipped
    ignored = sorted(k if isinstance(k, str) else short_repr(k) for k in data if k not in SNAPSHOT_KEYS)
    if ignored:
        extra["ignored_keys"] = ignored
    return NetworkData(model_config=config, state_dicts=modules, source=source, metadata=extra)


__all__ = ["import_official_pkl", "state_dict_of", "to_jsonable", "DEFAULT_MAX_BYTES"]
