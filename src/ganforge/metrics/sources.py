"""Images for the metrics: reals from a dataset (features cached per dataset + protocol) and fakes from a generator.

Reals follow NVIDIA's protocol: the dataset as stored (never x-flipped, whatever ``--mirror`` training used), the first
``max_items`` images in dataset order. Fakes: ``z ~ N(0, I)`` from a seeded generator, labels of random dataset
images for a conditional G, psi = 1, converted by ``(img * 127.5 + 128).clamp(0, 255)`` to uint8.

The real features of a (dataset, feature network, size) triple are cached as ``<cache>/<key>.npy`` with a
``<key>.json`` describing the protocol; the key hashes the dataset's fingerprint (sha256 of a zip; names, sizes and
modification times of a folder), the feature network's identity (weights sha256) and the size.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from ganforge.data import ImageDataset
from ganforge.metrics.features import FeatureNet
from ganforge.utils.atomic import atomic_write

CACHE_VERSION = 1


def default_cache_dir() -> Path:
    """``$GANFORGE_CACHE/metrics`` or ``~/.cache/ganforge/metrics``."""
    root = os.environ.get("GANFORGE_CACHE") or Path.home() / ".cache" / "ganforge"
    return Path(root) / "metrics"


def dataset_fingerprint(path: str | Path) -> str:
    """sha256 of a dataset zip, or of the sorted (name, size, mtime) list of a dataset folder."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
    elif path.is_dir():
        for item in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = item.stat()
            digest.update(f"{item.relative_to(path).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    else:
        raise ValueError(f"{path}: dataset not found")
    return digest.hexdigest()


def open_reference(path: str | Path) -> ImageDataset:
    """The reference dataset (with labels when it has them, never x-flipped)."""
    try:
        return ImageDataset(path, use_labels=True, xflip=False)
    except ValueError as exc:
        if "labels requested" not in str(exc):
            raise
    return ImageDataset(path, use_labels=False, xflip=False)


def iterate_reals(dataset: ImageDataset, max_items: int | None, batch_size: int) -> Iterator[torch.Tensor]:
    """uint8 ``[B, C, H, W]`` batches of the first ``max_items`` images (all when ``None``)."""
    n = len(dataset) if max_items is None else min(max_items, len(dataset))
    for start in range(0, n, batch_size):
        images, _ = dataset.get_batch(np.arange(start, min(start + batch_size, n)))
        yield images


def real_count(dataset: ImageDataset, max_items: int | None) -> int:
    return len(dataset) if max_items is None else min(max_items, len(dataset))


def real_features(
    net: FeatureNet,
    dataset: ImageDataset,
    max_items: int | None,
    *,
    batch_size: int = 64,
    cache_dir: str | Path | None = None,
    progress: bool = False,
) -> tuple[torch.Tensor, dict]:
    """Features ``[N, D]`` of the reference images and the protocol record; read from / written to the cache.

    ``cache_dir=None`` uses :func:`default_cache_dir`; pass ``False`` to disable caching.
    """
    n = real_count(dataset, max_items)
    protocol = {"dataset": str(dataset.path), "dataset_sha256": dataset_fingerprint(dataset.path),
                "num_real": n, "xflip": False, "features": net.identity, "cache_version": CACHE_VERSION}
    key = hashlib.sha256(json.dumps({k: v for k, v in protocol.items() if k != "dataset"},
                                    sort_keys=True).encode()).hexdigest()[:32]
    cache = None if cache_dir is False else Path(cache_dir or default_cache_dir())
    if cache is not None and (cache / f"{key}.npy").is_file():
        try:
            features = torch.from_numpy(np.load(cache / f"{key}.npy"))
            if features.shape[0] == n:
                return features, {**protocol, "cache": str(cache / f"{key}.npy"), "cache_hit": True}
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed and replaced
    batches = []
    for images in tqdm(iterate_reals(dataset, n, batch_size), total=-(-n // batch_size), desc=f"reals {net.name}",
                       unit="batch", disable=not progress, leave=False):
        batches.append(net(images))
    features = torch.cat(batches)
    if cache is not None:
        atomic_write(cache / f"{key}.npy", lambda tmp: np.save(open(tmp, "wb"), features.numpy()))
        atomic_write(cache / f"{key}.json", lambda tmp: Path(tmp).write_text(json.dumps(protocol, indent=2) + "\n"))
    return features, {**protocol, "cache": str(cache / f"{key}.npy") if cache else None, "cache_hit": False}


def to_uint8_nchw(img: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] ``[N, C, H, W]`` -> uint8, NVIDIA's ``(img * 127.5 + 128).clamp(0, 255)``."""
    return (img * 127.5 + 128).clamp(0, 255).to(torch.uint8)


def _run_seeded(G: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None, noise_seed: int) -> torch.Tensor:
    """``G(z, c)`` with the device's RNG forked and seeded (the caller's random state is restored afterwards)."""
    devices = [z.device] if z.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        if z.device.type == "cuda":
            with torch.cuda.device(z.device):
                torch.cuda.manual_seed(noise_seed % 2**63)
        else:
            torch.default_generator.manual_seed(noise_seed % 2**63)
        return G(z, c)


@torch.no_grad()
def iterate_fakes(
    G: torch.nn.Module,
    num: int,
    *,
    batch_size: int = 32,
    seed: int = 0,
    device: torch.device | str = "cpu",
    labels_from: ImageDataset | None = None,
    progress: bool = False,
) -> Iterator[torch.Tensor]:
    """uint8 ``[B, C, H, W]`` batches of ``num`` generated images (deterministic given ``seed``).

    ``z`` is drawn on the CPU from ``torch.Generator().manual_seed(seed)`` (so the latents do not depend on the
    device), labels of random ``labels_from`` images for a conditional G (one-hot ``c``), psi = 1, G's default (random)
    noise drawn from a device RNG seeded per batch: the images are reproducible given ``seed`` and ``batch_size``, and
    the caller's random state is left untouched.
    """
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    label_rng = np.random.default_rng(seed)
    c_dim = int(getattr(G, "c_dim", 0))
    if c_dim and (labels_from is None or labels_from.label_dim != c_dim):
        raise ValueError(f"the generator is conditional (c_dim {c_dim}); the reference dataset must have labels of "
                         f"that size")
    done = 0
    bar = tqdm(total=num, desc="fakes", unit="img", disable=not progress, leave=False)
    while done < num:
        b = min(batch_size, num - done)
        z = torch.randn([b, G.z_dim], generator=gen).to(device)
        c = None
        if c_dim:
            idx = label_rng.integers(len(labels_from), size=b)
            c = torch.from_numpy(np.stack([labels_from.get_label(int(i)) for i in idx])).to(device)
        yield to_uint8_nchw(_run_seeded(G, z, c, noise_seed=seed * 1_000_003 + done)).cpu()
        done += b
        bar.update(b)
    bar.close()
