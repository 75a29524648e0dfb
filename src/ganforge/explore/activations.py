"""Feature-map mosaics of the synthesis blocks for one latent, captured with forward hooks.

Each block ``b{R}`` returns ``(x, img)``; the hook keeps ``x: [1, C_R, R, R]``. The mosaic tiles its
channels in a grid, each channel min-max normalised on its own (a constant map shows mid-grey), and
upscaled by nearest neighbour so that all blocks' tiles have the same size on screen.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ganforge.models.network import require_mapping
from ganforge.utils.images import make_grid


def capture_block_outputs(G: torch.nn.Module, ws: torch.Tensor, noise_mode: str = "const") -> dict[str, torch.Tensor]:
    """Run ``G.synthesis(ws)`` and return each block's feature output ``{"b4": [N, C, 4, 4], ...}`` and ``"img"``."""
    require_mapping(G, "per-block activations of the synthesis network")
    feats: dict[str, torch.Tensor] = {}
    handles = []
    for res in G.synthesis.block_resolutions:
        name = f"b{res}"

        def hook(module, inputs, output, name=name):
            feats[name] = output[0].detach().float().contiguous()

        handles.append(getattr(G.synthesis, name).register_forward_hook(hook))
    try:
        with torch.no_grad():
            feats["img"] = G.synthesis(ws, noise_mode=noise_mode)
    finally:
        for h in handles:
            h.remove()
    return feats


def feature_mosaic(x: torch.Tensor, tile: int, max_channels: int = 64, pad: int = 1) -> np.ndarray:
    """``x: [C, R, R]`` -> grey mosaic ``[H, W, 1]`` uint8 of the first ``max_channels`` channels, ``tile`` px each."""
    x = x[:max_channels]
    lo = x.amin(dim=(1, 2), keepdim=True)
    hi = x.amax(dim=(1, 2), keepdim=True)
    norm = torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-12), torch.full_like(x, 0.5))
    img = (norm * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()[..., None]  # [C, R, R, 1]
    factor = max(1, tile // x.shape[-1])
    img = img.repeat(factor, axis=1).repeat(factor, axis=2)
    return make_grid(img, cols=int(math.ceil(math.sqrt(len(img)))), pad=pad)


def activation_mosaics(G: torch.nn.Module, ws: torch.Tensor, *, noise_mode: str = "const", tile: int = 32,
                       max_channels: int = 64) -> dict[str, np.ndarray]:
    """Mosaics ``{"b4": [H, W, 1] uint8, ...}`` for the first sample of ``ws: [N, num_ws, w_dim]``, plus ``"img"``
    (``[R, R, C]`` uint8, the generated image)."""
    feats = capture_block_outputs(G, ws[:1], noise_mode)
    out = {name: feature_mosaic(f[0], tile, max_channels) for name, f in feats.items() if name != "img"}
    img = feats["img"][0]
    out["img"] = ((img.permute(1, 2, 0) + 1) * 127.5 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
    return out


def activation_figure(mosaics: dict[str, np.ndarray], gap: int = 8) -> np.ndarray:
    """All of :func:`activation_mosaics`' panels side by side (image first, then ``b4`` .. ``b{R}``), top-aligned
    on white: ``[H, W, 3]`` uint8. The image is upscaled to the height of the tallest mosaic."""
    names = sorted((k for k in mosaics if k != "img"), key=lambda k: int(k[1:]))
    panels = [m.repeat(3, axis=2) if m.shape[2] == 1 else m for m in (mosaics[k] for k in names)]
    height = max(p.shape[0] for p in panels)
    img = mosaics["img"]
    img = img.repeat(max(1, height // img.shape[0]), axis=0).repeat(max(1, height // img.shape[0]), axis=1)
    panels = [img[:, :, :3] if img.shape[2] >= 3 else img.repeat(3, axis=2)] + panels
    width = sum(p.shape[1] for p in panels) + gap * (len(panels) - 1)
    out = np.full([max(height, img.shape[0]), width, 3], 255, dtype=np.uint8)
    x = 0
    for p in panels:
        out[:p.shape[0], x:x + p.shape[1]] = p
        x += p.shape[1] + gap
    return out
