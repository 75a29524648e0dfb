"""Locating user-supplied weight files for the pretrained backbones (Inception, VGG16, LPIPS heads).

Nothing is ever downloaded: the URLs below are printed as text so that users know where such files usually come
from. A file is found from an explicit path or from an environment variable, and can be checked against a sha256
digest (full digest given by the caller, or the 8-hex-digit prefix that torch-hub style filenames carry).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["WeightsInfo", "KNOWN_WEIGHTS", "locate_weights", "resolve_weights", "sha256_file", "is_torchscript_archive",
           "read_weights_file", "state_dict_sha256"]

WEIGHT_FREE_METRICS = "swd<N>k (sliced Wasserstein), rfid<N>k / rkid<N>k (seeded random Inception), e.g. --metrics swd1k"


@dataclass(frozen=True)
class WeightsInfo:
    """A weight file that some backbone needs.

    Attributes:
        name: Key used by ``resolve_weights`` (e.g. ``'inception'``).
        env_var: Environment variable that may hold the file's path.
        filenames: Typical filenames (the first is the preferred one).
        sources: Where users usually obtain the file (text only; never fetched).
        sha256_prefix: Hex prefixes of the sha256 of known-good files, by filename (torch-hub naming convention).
        used_by: Metrics that need it.
    """

    name: str
    env_var: str
    filenames: tuple[str, ...]
    sources: tuple[str, ...]
    sha256_prefix: tuple[tuple[str, str], ...] = ()
    used_by: str = ""


KNOWN_WEIGHTS: dict[str, WeightsInfo] = {
    "inception": WeightsInfo(
        name="inception",
        env_var="GANFORGE_INCEPTION",
        filenames=(
            "pt_inception-2015-12-05-6726825d.pth",
            "weights-inception-2015-12-05-6726825d.pth",
            "inception-2015-12-05.pt",
        ),
        sources=(
            "pytorch-fid release: https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/"
            "pt_inception-2015-12-05-6726825d.pth",
            "torch-fidelity release: weights-inception-2015-12-05-6726825d.pth (same tensors)",
            "NVIDIA TorchScript: https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/"
            "inception-2015-12-05.pt",
        ),
        sha256_prefix=(
            ("pt_inception-2015-12-05-6726825d.pth", "6726825d"),
            ("weights-inception-2015-12-05-6726825d.pth", "6726825d"),
        ),
        used_by="fid, kid, is",
    ),
    "vgg16": WeightsInfo(
        name="vgg16",
        env_var="GANFORGE_VGG16",
        filenames=("vgg16-397923af.pth", "vgg16.pt"),
        sources=(
            "torchvision ImageNet VGG16: https://download.pytorch.org/models/vgg16-397923af.pth",
            "NVIDIA TorchScript: https://nvlabs-fi-cdn.nvidia.com/stylegan2-ada-pytorch/pretrained/metrics/vgg16.pt",
        ),
        sha256_prefix=(("vgg16-397923af.pth", "397923af"),),
        used_by="precision/recall, ppl, lpips",
    ),
    "lpips": WeightsInfo(
        name="lpips",
        env_var="GANFORGE_LPIPS",
        filenames=("vgg.pth",),
        sources=(
            "LPIPS v0.1 linear heads (BSD-2), file lpips/weights/v0.1/vgg.pth inside the 'lpips' wheel or "
            "https://github.com/richzhang/PerceptualSimilarity/tree/master/lpips/weights/v0.1",
        ),
        used_by="lpips, ppl",
    ),
    "efficientnet_lite0": WeightsInfo(
        name="efficientnet_lite0",
        env_var="GANFORGE_EFFICIENTNET_LITE0",
        filenames=("tf_efficientnet_lite0-0aa007d2.pth", "tf_efficientnet_lite0.safetensors"),
        sources=(
            "timm's ImageNet weights of tf_efficientnet_lite0 (Apache-2.0): the state dict of "
            "timm.create_model('tf_efficientnet_lite0', pretrained=True), saved with torch.save or safetensors",
        ),
        used_by="the projected discriminator (--d projected; without it: seeded random features)",
    ),
}


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex sha256 digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def is_torchscript_archive(path: str | Path) -> bool:
    """True for a TorchScript archive (``torch.jit.save``): it carries compiled code under ``<archive>/code/``.

    ``torch.save`` archives (state dicts) have no ``code/`` entries, so the two are told apart without loading.
    """
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        return any("/code/" in name for name in zf.namelist())


def _missing_message(info: WeightsInfo, reason: str) -> str:
    sources = "\n".join(f"    - {s}" for s in info.sources)
    return (
        f"{reason}\n"
        f"  Needed: the '{info.name}' weights ({' or '.join(info.filenames)}), used by {info.used_by}.\n"
        f"  Usually obtained from (ganforge never downloads anything):\n{sources}\n"
        f"  Pass it with --{info.name} PATH (ganforge metrics / train) or set {info.env_var}=PATH.\n"
        f"  Metrics that need no weight file: {WEIGHT_FREE_METRICS}."
    )


def locate_weights(name: str, path: str | Path | None = None) -> Path:
    """Find a weight file from an explicit path or from its environment variable, without checking its digest.

    Args:
        name: A key of ``KNOWN_WEIGHTS`` (``'inception'``, ``'vgg16'``, ``'lpips'``).
        path: Explicit file path; takes precedence over the environment variable.

    Returns:
        The existing file path.

    Raises:
        ValueError: An unknown ``name``, or one message saying which file is needed, where users usually get it,
            how to pass it and which weight-free metrics work instead.
    """
    if name not in KNOWN_WEIGHTS:
        raise ValueError(f"unknown weights {name!r}; known: {sorted(KNOWN_WEIGHTS)}")
    info = KNOWN_WEIGHTS[name]
    if path is None:
        path = os.environ.get(info.env_var) or None
        origin = f"${info.env_var}"
    else:
        origin = "the given path"
    if path is None:
        raise ValueError(_missing_message(info, f"No '{name}' weight file given."))
    resolved = Path(path).expanduser()
    if not resolved.is_file():
        raise ValueError(_missing_message(info, f"The '{name}' weight file from {origin} does not exist: {resolved}"))
    return resolved


def resolve_weights(name: str, path: str | Path | None = None, sha256: str | None = None) -> Path:
    """Find a weight file (:func:`locate_weights`) and check its sha256.

    Args:
        name: A key of ``KNOWN_WEIGHTS`` (``'inception'``, ``'vgg16'``, ``'lpips'``).
        path: Explicit file path; takes precedence over the environment variable.
        sha256: Optional expected hex digest (full, or a prefix of at least 8 digits). Without it, a file whose
            name is one of the known torch-hub style names is checked against the prefix in its name.

    Returns:
        The resolved, existing file path.

    Raises:
        ValueError: The file is missing (see :func:`locate_weights`), or a checksum mismatch naming the file.
    """
    resolved = locate_weights(name, path)
    expected = sha256 or dict(KNOWN_WEIGHTS[name].sha256_prefix).get(resolved.name)
    if expected is not None:
        expected = expected.lower()
        if len(expected) < 8:
            raise ValueError(f"sha256 must have at least 8 hex digits, got {expected!r}")
        actual = sha256_file(resolved)
        if not actual.startswith(expected):
            raise ValueError(
                f"sha256 mismatch for the '{name}' weight file {resolved}: expected {expected}..., got {actual}. "
                "The file is corrupt or a different network; numbers computed with it are not comparable."
            )
    return resolved


def read_weights_file(path: str | Path, map_location: str | torch.device = "cpu"):
    """A weight file's content: a state dict (``.safetensors``, or ``torch.load(weights_only=True)``, unwrapping a
    ``{"state_dict": ...}`` container), or a ``torch.jit.ScriptModule`` for a TorchScript archive (run as-is by the
    TorchScript interpreter; no pickle is executed)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path), device=str(map_location))
        if is_torchscript_archive(path):
            return torch.jit.load(str(path), map_location=map_location).eval()
        state = torch.load(path, map_location=map_location, weights_only=True)
    except OSError:
        raise
    except Exception as exc:  # garbage or a foreign pickle: UnpicklingError, RuntimeError, SafetensorError, ...
        raise ValueError(f"{path}: not a readable weight file ({type(exc).__name__}: not a safetensors, TorchScript "
                         "or tensors-only torch file); give the .pth/.pt/.safetensors named in docs/metrics.md") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return state


def state_dict_sha256(state: dict[str, torch.Tensor]) -> str:
    """sha256 over (sorted name, dtype, shape, little-endian bytes) of every tensor; platform independent."""
    digest = hashlib.sha256()
    for name in sorted(state):
        array = state[name].detach().cpu().contiguous().numpy()
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        digest.update(f"{name}|{array.dtype.str}|{list(array.shape)}\n".encode("utf-8"))
        digest.update(array.tobytes())
    return digest.hexdigest()
