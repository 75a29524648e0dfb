"""``open_networks(path)``: one way to open a network file, whatever wrote it.

A reader per file kind is registered in :data:`NETWORK_READERS` with the suffixes it owns and a ``sniff`` that
recognises its files by their first bytes; it returns :class:`ganforge.compat.NetworkData` (data only) and
:func:`open_networks` wraps that in the one holder, :class:`ganforge.inference.NetworkFile`. Another format
(StyleGAN3 pickles, ...) is one more registration::

    NETWORK_READERS.register("stylegan3-pkl", NetworkReader(suffixes=(".pkl",), sniff=..., read=...))

Nothing in a file is executed: ganforge checkpoints are safetensors, official pickles go through the
restricted unpickler of :mod:`ganforge.compat.unpickler`, rosinality files through ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ganforge.compat import NetworkData, import_official_pkl, import_rosinality
from ganforge.inference.network_file import NETWORK_NAMES, NetworkFile
from ganforge.registry import Registry

# The checkpoint format (``ganforge.train.checkpoint``) is imported where a checkpoint is read: importing it runs
# ``ganforge.train``'s __init__, which imports the training loop, whose ``--resume-from`` opens files through here.


@dataclass(frozen=True)
class NetworkReader:
    """How to recognise and read one kind of network file."""

    suffixes: tuple[str, ...]
    """Lower-case file suffixes of this kind (``(".pt", ".pth")``); used when no reader recognises the content."""
    sniff: Callable[[bytes], bool]
    """``sniff(head) -> bool`` on the file's first :data:`SNIFF_BYTES` bytes: is this file of this kind?"""
    read: Callable[..., NetworkData]
    """``read(path: Path, *, verify: bool) -> NetworkData``; raises ``ValueError`` naming the file."""


NETWORK_READERS: Registry[NetworkReader] = Registry("network file kind")
SNIFF_BYTES = 16
ZIP_MAGIC = b"PK\x03\x04"
# torch.save before PyTorch 1.6 (not a zip): a pickle whose first object is the LONG1 magic number 0x1950a86a20f9469cfc6c.
LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def _is_safetensors(head: bytes) -> bool:
    """An 8-byte little-endian header length, then the JSON header."""
    return len(head) > 8 and head[8:9] == b"{" and 2 <= int.from_bytes(head[:8], "little") < 100_000_000


def _is_official_pickle(head: bytes) -> bool:
    """A pickle of protocol 2-5 that is not a legacy ``torch.save`` file."""
    return len(head) >= 3 and head[0] == 0x80 and 2 <= head[1] <= 5 and not head.startswith(LEGACY_TORCH_MAGIC)


def _is_torch_save(head: bytes) -> bool:
    return head.startswith(ZIP_MAGIC) or head.startswith(LEGACY_TORCH_MAGIC)


def _read_ganforge(path: Path, *, verify: bool = True) -> NetworkData:
    from ganforge.train.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path, verify=verify)
    state_dicts = {name: ckpt.modules[name] for name in NETWORK_NAMES if name in ckpt.modules}
    metadata = {"ganforge_version": ckpt.metadata.get("ganforge_version")}
    if isinstance(ckpt.state.get("cur_nimg"), int):
        metadata["cur_nimg"] = ckpt.state["cur_nimg"]
    return NetworkData(model_config=ckpt.model_config(), state_dicts=state_dicts, source="ganforge",
                       metadata=metadata, config=ckpt.config)


def _read_official_pkl(path: Path, *, verify: bool = True) -> NetworkData:
    return import_official_pkl(path)  # no checksum in the format: ``verify`` has nothing to check


def _read_rosinality(path: Path, *, verify: bool = True) -> NetworkData:
    return import_rosinality(path)


NETWORK_READERS.register("ganforge", NetworkReader(suffixes=(".safetensors",), sniff=_is_safetensors, read=_read_ganforge))
NETWORK_READERS.register("official-pkl", NetworkReader(suffixes=(".pkl",), sniff=_is_official_pickle,
                                                       read=_read_official_pkl))
NETWORK_READERS.register("rosinality", NetworkReader(suffixes=(".pt", ".pth"), sniff=_is_torch_save, read=_read_rosinality))


def resolve_network(path: str | Path) -> Path:
    """A network file, or the newest checkpoint of a run folder.

    Raises:
        ValueError: ``path`` does not exist, or is a folder without checkpoints.
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such network file or run folder")
    if path.is_dir():
        from ganforge.train.checkpoint import find_checkpoints

        found = find_checkpoints(path)
        if not found:
            raise ValueError(f"{path}: no network-snapshot-*.safetensors checkpoint in this folder")
        return found[-1]
    if not path.is_file():  # a FIFO or device named like a network would block the reader forever
        raise ValueError(f"{path}: not a regular file (a pipe or device?); give a network file or a run folder")
    return path


def readable_suffixes() -> list[str]:
    """Every suffix some registered reader owns, sorted."""
    return sorted({s for kind in NETWORK_READERS for s in NETWORK_READERS.get(kind).suffixes})


def reader_kind(path: Path) -> str:
    """The kind of reader for ``path``: the first whose ``sniff`` recognises the content, else the one owning
    the suffix (so that a damaged file is refused by the reader its name promises, naming the problem).

    Raises:
        ValueError: Neither the content nor the suffix is of a registered kind.
    """
    try:
        with path.open("rb") as file:
            head = file.read(SNIFF_BYTES)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    for kind in NETWORK_READERS:
        if NETWORK_READERS.get(kind).sniff(head):
            return kind
    suffix = path.suffix.lower()
    for kind in NETWORK_READERS:
        if suffix in NETWORK_READERS.get(kind).suffixes:
            return kind
    raise ValueError(f"{path}: unknown network file type {suffix or '(no suffix)'!r}; "
                     f"readable: {', '.join(readable_suffixes())}")


def open_networks(path: str | Path, device: torch.device | str = "cpu", *, verify: bool = True) -> NetworkFile:
    """Open the networks of a ganforge checkpoint (or run folder), official NVIDIA pickle or rosinality file.

    Args:
        path: A file, or a run folder (its newest checkpoint).
        device: Where :class:`NetworkFile` builds the networks (on first use).
        verify: Check a ganforge checkpoint's checksum first.

    Returns:
        A :class:`NetworkFile`: ``open_networks("ffhq.pkl").generate("0-7")`` gives ``[8, H, W, C]`` uint8;
        ``.G`` (G_ema when present), ``.D``, ``.G_ema``, ``.state_dicts``, ``.model_config``, ``.kind``, ``.source``.

    Raises:
        ValueError: Naming the file, when it is missing, of an unknown type, damaged, refused (a pickle naming
            code to run) or holds no generator; or for a bad ``device``.
    """
    try:
        device = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"bad device {device!r}: {exc}") from None
    path = resolve_network(path)
    kind = reader_kind(path)
    data = NETWORK_READERS.get(kind).read(path, verify=verify)
    if "G" not in data.state_dicts and "G_ema" not in data.state_dicts:
        raise ValueError(f"{path}: the file holds no generator (it has {sorted(data.state_dicts)})")
    config = data.config
    if config is None:  # a foreign file: what a converted checkpoint stores (the model + where it came from)
        config = {"model": data.model_config.to_dict(),
                  "imported_from": {"source": data.source, "path": str(path), **data.metadata}}
    return NetworkFile(path=path, kind=kind, model_config=data.model_config, state_dicts=data.state_dicts,
                       config=config, source=data.source, metadata=data.metadata, device=device)
