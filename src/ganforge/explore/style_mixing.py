"""Style mixing (Karras et al. 2019, section 3.1): the styles of some layers come from another latent.

Layer ``i`` of ``ws`` works at resolution ``min(4 * 2**(i // 2), R)`` (two ws per resolution, the
StyleGAN layer count the official ``--styles 0-6`` refers to). The paper's presets are *coarse*
(4-8 px: pose, shape), *middle* (16-32 px: features) and *fine* (64 px and up: colours, micro
structure). Networks under 64 px have no fine layers in that sense, so there the three presets are
one octave each from the top: coarse = 4 px, middle = 8 to R/2, fine = R.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ganforge.explore.latents import ws_from_seeds
from ganforge.utils.images import make_grid, to_uint8

PRESETS = ("coarse", "middle", "fine")


def layer_resolutions(num_ws: int, img_resolution: int) -> list[int]:
    """Resolution each of the ``num_ws`` layers works at: ``[4, 4, 8, 8, 16, ...]``."""
    return [min(4 * 2 ** (i // 2), img_resolution) for i in range(num_ws)]


def preset_layers(name: str, num_ws: int, img_resolution: int) -> list[int]:
    """Layer indices of a preset (``coarse``, ``middle``, ``fine``, or ``all``)."""
    res = layer_resolutions(num_ws, img_resolution)
    if name == "all":
        return list(range(num_ws))
    if img_resolution >= 64:
        bounds = {"coarse": (4, 8), "middle": (16, 32), "fine": (64, img_resolution)}
    else:
        bounds = {"coarse": (4, 4), "middle": (8, img_resolution // 2), "fine": (img_resolution, img_resolution)}
    if name not in bounds:
        raise ValueError(f"--styles: unknown preset {name!r}; use {', '.join(PRESETS)}, all, or indices like 0-3")
    lo, hi = bounds[name]
    return [i for i, r in enumerate(res) if lo <= r <= hi]


def parse_styles(text: str, num_ws: int, img_resolution: int) -> list[int]:
    """``"0-3,6"``, ``"coarse"``, ``"coarse,fine"``, ``"all"`` or ``""`` -> sorted layer indices in ``[0, num_ws)``.

    Raises:
        ValueError: An unknown preset, a malformed part or an index out of range.
    """
    layers: set[int] = set()
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        if part[0].isalpha():
            layers.update(preset_layers(part, num_ws, img_resolution))
            continue
        try:
            lo, _, hi = part.partition("-")
            lo_i, hi_i = int(lo), int(hi) if hi else int(lo)
        except ValueError:
            raise ValueError(f"--styles: cannot parse {part!r}; use e.g. 0-6, 2,4 or coarse/middle/fine") from None
        if not 0 <= lo_i <= hi_i < num_ws:
            raise ValueError(f"--styles: {part!r} is out of range; this network has layers 0 to {num_ws - 1}")
        layers.update(range(lo_i, hi_i + 1))
    return sorted(layers)


def style_mix(row_ws: torch.Tensor, col_ws: torch.Tensor, layers: Sequence[int]) -> torch.Tensor:
    """``ws`` of the rows with the columns' styles at ``layers``: ``[N, num_ws, w_dim]`` (row i mixed with col i)."""
    if row_ws.shape != col_ws.shape:
        raise ValueError(f"style_mix: shapes differ, {list(row_ws.shape)} vs {list(col_ws.shape)}")
    ws = row_ws.clone()
    idx = list(layers)
    if idx:
        ws[:, idx] = col_ws[:, idx]
    return ws


@torch.no_grad()
def style_mixing_grid(
    G: torch.nn.Module,
    row_seeds: Sequence[int],
    col_seeds: Sequence[int],
    layers: Sequence[int],
    *,
    psi: float = 1.0,
    truncation_cutoff: int | None = None,
    noise_mode: str = "const",
    class_idx: int | None = None,
) -> np.ndarray:
    """The official style-mixing figure as one image ``[(1+R)*H, (1+C)*W, C]`` uint8.

    The top row shows the column images, the left column the row images (the corner is blank), and
    cell (r, c) is row r's image with column c's styles at ``layers``.
    """
    row_ws = ws_from_seeds(G, row_seeds, psi=psi, truncation_cutoff=truncation_cutoff, class_idx=class_idx)
    col_ws = ws_from_seeds(G, col_seeds, psi=psi, truncation_cutoff=truncation_cutoff, class_idx=class_idx)
    nr, nc = len(row_seeds), len(col_seeds)
    mixed = style_mix(row_ws.repeat_interleave(nc, dim=0), col_ws.repeat(nr, 1, 1), layers)  # [nr*nc, ...]
    imgs = to_uint8(G.synthesis(torch.cat([col_ws, row_ws, mixed]), noise_mode=noise_mode))
    cols, rows, cells = imgs[:nc], imgs[nc:nc + nr], imgs[nc + nr:]
    blank = np.full_like(imgs[0], 255)
    tiles = [blank, *cols]
    for r in range(nr):
        tiles += [rows[r], *cells[r * nc:(r + 1) * nc]]
    return make_grid(np.stack(tiles), cols=nc + 1)
