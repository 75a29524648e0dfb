"""``.npz`` files of latents: atomic writes, safe reads (no pickles), and ``projected_w.npz``.

``projected_w.npz`` (written by ``ganforge project``, read by ``ganforge generate --projected-w``) holds
``w: [N, num_ws, w_dim]`` float32, as the official projector's file does, plus the optimised noise
maps, when there are any, as ``noise/<layer name>: [N, 1, R, R]``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import torch

from ganforge.models.network import require_mapping
from ganforge.utils.atomic import atomic_write

NOISE_PREFIX = "noise/"


def save_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> Path:
    """Write ``arrays`` to ``path`` (.npz, uncompressed) atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)

    return atomic_write(path, write)


def load_npz(path: str | Path, what: str = "file") -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` (pickles refused). ``what`` names the option in errors.

    Raises:
        ValueError: Missing, unreadable or pickled content.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{what} {path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: np.asarray(data[k]) for k in data.files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{what} {path}: not a readable .npz file ({exc})") from None


def save_projected_w(path: str | Path, ws: torch.Tensor, noise: dict[str, torch.Tensor] | None = None,
                     **extra: np.ndarray) -> Path:
    """Write ``w [N, num_ws, w_dim]`` (and noise maps ``{layer: [N, 1, R, R]}``) to ``projected_w.npz``."""
    arrays = {"w": ws.detach().cpu().numpy().astype(np.float32)}
    for name, m in (noise or {}).items():
        arrays[NOISE_PREFIX + name] = m.detach().cpu().numpy().astype(np.float32)
    arrays.update(extra)
    return save_npz(path, arrays)


def load_projected_w(path: str | Path, G: torch.nn.Module | None = None,
                     device: torch.device | str = "cpu") -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
    """Read ``(ws [N, num_ws, w_dim], noise maps or None)``, checked against G's ``num_ws``/``w_dim`` when given.

    Raises:
        ValueError: No ``w`` array, or a shape that does not fit G.
    """
    data = load_npz(path, "--projected-w")
    if "w" not in data:
        raise ValueError(f"--projected-w {path}: no 'w' array (write it with `ganforge project`)")
    ws = torch.from_numpy(data["w"].astype(np.float32)).to(device)
    if ws.ndim == 2:
        ws = ws[None]
    if G is not None and (ws.ndim != 3 or ws.shape[1:] != (G.num_ws, G.w_dim)):
        raise ValueError(f"--projected-w {path}: w is {list(data['w'].shape)}, this network needs "
                         f"[N, {G.num_ws}, {G.w_dim}]")
    noise = {k[len(NOISE_PREFIX):]: torch.from_numpy(v).to(device) for k, v in data.items() if k.startswith(NOISE_PREFIX)}
    return ws, noise or None


@torch.no_grad()
def render_projected_w(G: torch.nn.Module, path: str | Path, noise_mode: str = "const") -> torch.Tensor:
    """Images of a ``projected_w.npz`` file: ``[N, C, H, W]`` in about [-1, 1].

    With ``noise_mode='const'`` the file's optimised noise maps are used when it has them.
    """
    require_mapping(G, "--projected-w (a projected w)")
    device = next(G.parameters()).device
    ws, noise = load_projected_w(path, G, device)
    from ganforge.explore.noise_reg import use_noise_maps

    with use_noise_maps(G, noise if noise_mode == "const" else None):
        return G.synthesis(ws, noise_mode=noise_mode)
