"""``ganforge.load(path)``: a trained network ready for inference, whatever file it came from.

The file type picks the loader from :data:`NETWORK_LOADERS` (keyed by suffix), so that support for
another format is one registered function: ``NETWORK_LOADERS.register(".pkl", load_official_pkl)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import torch

from ganforge.inference.generate import generate_images
from ganforge.models import build_discriminator, build_generator
from ganforge.registry import Registry
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.utils.seeds import parse_seeds


@dataclass
class LoadedGAN:
    """A network loaded for inference (fp32, eval mode, no gradients)."""

    G: torch.nn.Module
    """The generator: G_ema when the file has it, else G."""
    D: torch.nn.Module | None
    """The discriminator, or ``None`` when the file has none."""
    config: dict
    """The training config dict stored with the network."""
    model_config: Any
    """The model config (a registered ``Config``, e.g. ``StyleGAN2Config``)."""
    path: Path
    """The file the network was read from."""
    device: torch.device

    def generate(
        self,
        seeds: Sequence[int] | str | int,
        *,
        psi: float = 1.0,
        truncation_cutoff: int | None = None,
        noise_mode: str = "const",
        class_idx: int | None = None,
        batch_size: int = 32,
    ) -> torch.Tensor:
        """Images for ``seeds`` (a list, one int or text like ``"0-7,9"``): ``[N, H, W, C]`` uint8 on CPU.

        See :func:`ganforge.inference.generate.generate_images` for the arguments.
        """
        if isinstance(seeds, str):
            seeds = parse_seeds(seeds)
        elif isinstance(seeds, int):
            seeds = [seeds]
        return generate_images(self.G, seeds, psi=psi, truncation_cutoff=truncation_cutoff, noise_mode=noise_mode,
                               class_idx=class_idx, batch_size=batch_size, device=self.device)


NetworkLoader = Callable[..., LoadedGAN]
"""``loader(path: Path, device: torch.device, *, verify: bool) -> LoadedGAN``."""

NETWORK_LOADERS: Registry[NetworkLoader] = Registry("network file type")

# Formats announced but not readable yet: suffix -> what they are (the error message names them).
# A suffix registered in ganforge.compat.IMPORTERS is read by that importer instead.
PLANNED_FORMATS: dict[str, str] = {}


def _prepare(module: torch.nn.Module, state_dict: dict[str, torch.Tensor], what: str, path: Path,
             device: torch.device) -> torch.nn.Module:
    try:
        module.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{path}: the {what} weights do not fit the stored model config: {exc}") from None
    return module.to(device=device, dtype=torch.float32).eval().requires_grad_(False)


@NETWORK_LOADERS.register(".safetensors")
def load_ganforge_checkpoint(path: Path, device: torch.device, *, verify: bool = True) -> LoadedGAN:
    """Load a ganforge training checkpoint (``network-snapshot-*.safetensors``)."""
    ckpt = load_checkpoint(path, verify=verify)
    model_cfg = ckpt.model_config()
    name = "G_ema" if "G_ema" in ckpt.modules else "G"
    if name not in ckpt.modules:
        raise ValueError(f"{path}: the checkpoint holds no generator (modules: {sorted(ckpt.modules)})")
    G = _prepare(build_generator(model_cfg), ckpt.modules[name], name, path, device)
    D = None
    if "D" in ckpt.modules:
        D = _prepare(build_discriminator(model_cfg), ckpt.modules["D"], "D", path, device)
    return LoadedGAN(G=G, D=D, config=ckpt.config, model_config=model_cfg, path=Path(path), device=device)


def resolve_network(path: str | Path) -> Path:
    """A network file, or the newest checkpoint of a run folder.

    Raises:
        ValueError: ``path`` does not exist, or is a folder without checkpoints.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such network file or run folder")
    if path.is_dir():
        found = find_checkpoints(path)
        if not found:
            raise ValueError(f"{path}: no network-snapshot-*.safetensors checkpoint in this folder")
        return found[-1]
    if not path.is_file():  # a FIFO or device named like a network would block the reader forever
        raise ValueError(f"{path}: not a regular file (a pipe or device?); give a network file or a run folder")
    return path


def load(path: str | Path, device: torch.device | str = "cpu", *, verify: bool = True) -> LoadedGAN:
    """Load a trained network for inference.

    Args:
        path: A checkpoint file or a run folder (its newest checkpoint); foreign files registered in
            ``ganforge.compat.IMPORTERS`` (rosinality ``.pt``/``.pth``, ...) are imported on the fly.
        device: Where to put the networks.
        verify: Check the file's checksum first.

    Returns:
        A :class:`LoadedGAN`: ``load("runs/00003-emoji").generate("0-7")`` gives ``[8, H, W, C]`` uint8.

    Raises:
        ValueError: Naming the file, when it is missing, of an unknown or not yet supported type, or damaged.
    """
    try:
        device = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"bad device {device!r}: {exc}") from None
    from ganforge.compat import IMPORTERS, import_networks  # foreign formats (.pt, ...): read, never executed

    path = resolve_network(path)
    suffix = path.suffix.lower()
    if suffix in NETWORK_LOADERS:
        return NETWORK_LOADERS.get(suffix)(path, device, verify=verify)
    if suffix in IMPORTERS:
        return import_networks(path).to_loaded(device)
    if suffix in PLANNED_FORMATS:
        raise ValueError(f"{path}: {PLANNED_FORMATS[suffix]} ({suffix}) are not supported yet")
    raise ValueError(f"{path}: unknown network file type {suffix or '(no suffix)'!r}; "
                     f"readable: {', '.join(sorted({*NETWORK_LOADERS.names(), *IMPORTERS.names()}))}")
