"""Transfer learning: start a new run from the weights of a trained model (``--resume-from``).

Unlike ``--resume`` (which continues a run exactly: optimizer, counters, RNG), this builds a *new* run whose
networks start from the weights of any compatible checkpoint: a ganforge ``.safetensors`` snapshot, an official
NVIDIA ``.pkl`` or a rosinality ``.pt`` (opened by :func:`ganforge.inference.open_networks`). Two tools from the
literature help small target datasets:

* Freeze-D (Mo et al. 2020, "Freeze the Discriminator"; ADA's ``--freezed``): the N highest-resolution D blocks
  keep their pretrained weights (they are left out of D's optimizer and get no gradients);
* a learning-rate multiplier for G's mapping network (e.g. 0.01, to keep the pretrained latent space).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from ganforge.inference.network_file import NetworkFile
from ganforge.inference.open import open_networks


def read_networks(path: str | Path) -> NetworkFile:
    """The networks of ``--resume-from`` (.safetensors checkpoint, .pkl, .pt/.pth), executing nothing."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--resume-from {path}: no such file")
    return open_networks(path)


def prepare(cfg, dataset) -> tuple[Any, NetworkFile | None]:
    """``(cfg, source)``: for ``--resume-from``, read the source and make its model config the run's (when the
    config names none), after checking that it fits the dataset's resolution and channels."""
    if not cfg.transfer.resume_from:
        return cfg, None
    source = read_networks(cfg.transfer.resume_from)
    channels, resolution, _ = dataset.image_shape
    model = source.model_config
    got = (getattr(model, "img_resolution", None), getattr(model, "img_channels", None))
    if got != (resolution, channels):
        raise ValueError(f"--resume-from {source.path}: the network is for {got[0]}px images with {got[1]} channels, "
                         f"but the dataset {cfg.data.path} has {resolution}px images with {channels} channels")
    if cfg.model.arch is None:
        cfg = replace(cfg, model=replace(cfg.model, arch=model, family=model.name))
    return cfg, source


def load_weights(nets, source: NetworkFile | None) -> None:
    """Copy the source weights into ``nets`` (G_ema falls back to G and vice versa); a shape mismatch (other
    channel counts, a conditional source for an unconditional run, ...) raises a ``ValueError`` naming the file."""
    if source is None:
        return
    fallbacks = {"G": ("G", "G_ema"), "G_ema": ("G_ema", "G"), "D": ("D",)}
    for name in ("G", "D", "G_ema"):  # not the training terms' state: a new run starts it fresh
        module = getattr(nets, name)
        state = next((source.state_dicts[k] for k in fallbacks[name] if k in source.state_dicts), None)
        if state is None:
            raise ValueError(f"--resume-from {source.path}: the file has no {name} (it has {list(source.names)})")
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()
            detail = "; ".join(line.strip() for line in first[1:4]) or first[0]
            raise ValueError(f"--resume-from {source.path}: its {name} does not fit this run's network "
                             f"(resolution, channels or architecture differ): {detail}") from None


def frozen_prefixes(D: torch.nn.Module, freezed: int) -> tuple[str, ...]:
    """Parameter-name prefixes of the ``freezed`` highest-resolution D blocks (``("b32.", "b16.")`` for 2 at 32 px)."""
    if freezed <= 0:
        return ()
    blocks = list(getattr(D, "block_resolutions", []))
    if freezed > len(blocks):
        raise ValueError(f"--freezed {freezed}: D has only {len(blocks)} blocks above 4x4 "
                         f"({', '.join(f'b{r}' for r in blocks)})")
    return tuple(f"b{res}." for res in blocks[:freezed])


def trainable_params(name: str, module: torch.nn.Module, transfer) -> list[torch.nn.Parameter]:
    """The parameters the optimizer of network ``name`` ("G" or "D") updates: the model's
    ``trainable_parameters()`` (never a frozen feature network) less the Freeze-D blocks (``transfer.freezed``)."""
    prefixes = frozen_prefixes(module, transfer.freezed) if name == "D" else ()
    trainable = {id(p) for p in module.trainable_parameters()}
    return [p for n, p in module.named_parameters() if id(p) in trainable and not n.startswith(prefixes)]


def param_groups(name: str, module: torch.nn.Module, transfer) -> tuple[list[dict], list[float]]:
    """Adam parameter groups and their lr multipliers: one group, except G with ``mapping_lr_mult != 1`` (the mapping
    network's parameters in a second group at ``lr * mapping_lr_mult``)."""
    params = trainable_params(name, module, transfer)
    if name != "G" or transfer.mapping_lr_mult == 1:
        return [{"params": params}], [1.0]
    mapping = {id(p) for n, p in module.named_parameters() if n.startswith("mapping.")}
    return ([{"params": [p for p in params if id(p) not in mapping]},
             {"params": [p for p in params if id(p) in mapping]}], [1.0, transfer.mapping_lr_mult])
