"""Images from seeds: ``generate_images(G, seeds)``, the work behind ``ganforge generate``.

Latents follow the official generate.py (``z = RandomState(seed).randn(z_dim)``), so a seed names
the same image here and there for the same weights. Image ``i`` depends only on ``seeds[i]``: not on
the batch size nor on the other seeds, including with ``noise_mode="random"``, whose noise is drawn
per image from torch's generator seeded with that image's seed.
"""

from __future__ import annotations

from typing import Sequence

import torch

from ganforge.inference.truncation import centroid_truncation
from ganforge.models.network import generator_caps, require_mapping
from ganforge.utils.images import to_uint8
from ganforge.utils.seeds import z_from_seeds

NOISE_MODES = ("const", "random", "none")


def class_labels(c_dim: int, class_idx: int | None, n: int, device: torch.device | str = "cpu") -> torch.Tensor | None:
    """One-hot labels ``c: [n, c_dim]`` for a conditional G, ``None`` for an unconditional one.

    Raises:
        ValueError: ``class_idx`` missing for a conditional G, given for an unconditional one, or out of range.
    """
    if c_dim == 0:
        if class_idx is not None:
            raise ValueError(f"class {class_idx} given, but this network is unconditional (c_dim=0); drop --class")
        return None
    if class_idx is None:
        raise ValueError(f"this network is conditional (c_dim={c_dim}): pass a class index (--class) in [0, {c_dim - 1}]")
    if isinstance(class_idx, bool) or not isinstance(class_idx, int) or not 0 <= class_idx < c_dim:
        raise ValueError(f"class {class_idx!r} is out of range: this network has classes 0 to {c_dim - 1}")
    c = torch.zeros([n, c_dim], device=device)
    c[:, class_idx] = 1
    return c


def _check_args(seeds: Sequence[int], psi: float, truncation_cutoff: int | None, noise_mode: str, batch_size: int) -> None:
    if len(seeds) == 0:
        raise ValueError("no seeds given")
    for seed in seeds:
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
            raise ValueError(f"seed {seed!r} must be an int in [0, 2**32)")
    if isinstance(psi, bool) or not isinstance(psi, (int, float)):
        raise ValueError(f"truncation psi must be a number, got {psi!r}")
    if truncation_cutoff is not None and (isinstance(truncation_cutoff, bool) or not isinstance(truncation_cutoff, int)
                                          or truncation_cutoff < 0):
        raise ValueError(f"truncation cutoff must be an int >= 0 or None, got {truncation_cutoff!r}")
    if noise_mode not in NOISE_MODES:
        raise ValueError(f"noise mode must be one of {list(NOISE_MODES)}, got {noise_mode!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch size must be an int >= 1, got {batch_size!r}")


def _seed_device_rng(device: torch.device, seed: int) -> None:
    """Seed only the generator that ``torch.randn(device=device)`` uses (``torch.manual_seed`` would also
    seed, or queue seeding of, every CUDA device)."""
    if device.type == "cuda":
        with torch.cuda.device(device):
            torch.cuda.manual_seed(seed)
    elif device.type == "cpu":
        torch.default_generator.manual_seed(seed)
    else:
        torch.manual_seed(seed)


def _synthesize_seeded(G: torch.nn.Module, ws: torch.Tensor, seeds: Sequence[int]) -> torch.Tensor:
    """``noise_mode="random"``, one image at a time with the device's RNG seeded by that image's seed.

    The generators are restored afterwards, so generating never disturbs the caller's random state.
    """
    devices = [ws.device] if ws.device.type == "cuda" else []
    images = []
    with torch.random.fork_rng(devices=devices):
        for i, seed in enumerate(seeds):
            _seed_device_rng(ws.device, seed)
            images.append(G.synthesis(ws[i:i + 1], noise_mode="random"))  # [1, C, H, W]
    return torch.cat(images)


def generate_images(
    G: torch.nn.Module,
    seeds: Sequence[int],
    *,
    psi: float = 1.0,
    truncation_cutoff: int | None = None,
    noise_mode: str = "const",
    class_idx: int | None = None,
    batch_size: int = 32,
    device: torch.device | str | None = None,
    centroids: torch.Tensor | None = None,
) -> torch.Tensor:
    """Generate one image per seed.

    Args:
        G: A generator with ``z_dim``, ``c_dim``, ``mapping`` and ``synthesis`` (StyleGAN2 layout).
        seeds: Seeds in ``[0, 2**32)``; ``z[i] = RandomState(seeds[i]).randn(z_dim)``.
        psi: Truncation psi (1 = off).
        truncation_cutoff: Truncate only the first this many ws (``None`` = all).
        noise_mode: ``const`` (the stored noise), ``random`` (drawn per seed) or ``none``.
        class_idx: Class of every image for a conditional G (required then; must be ``None`` otherwise).
        batch_size: Images per forward pass; does not change the result.
        device: Where to run; ``None`` = the device of G's parameters.
        centroids: ``[K, w_dim]`` W-cluster centroids: truncate toward the nearest one instead of ``w_avg``
            (multi-modal truncation, :func:`ganforge.inference.truncation.centroid_truncation`).

    Returns:
        ``[N, H, W, C]`` uint8 tensor on CPU, ``N = len(seeds)``.
    """
    seeds = list(seeds)
    _check_args(seeds, psi, truncation_cutoff, noise_mode, batch_size)
    if device is None:
        device = next(G.parameters()).device
    device = torch.device(device)
    has_mapping = generator_caps(G).has_mapping
    if not has_mapping and (psi != 1 or centroids is not None):
        require_mapping(G, "truncation")
    out = []
    with torch.no_grad():
        for start in range(0, len(seeds), batch_size):
            batch = seeds[start:start + batch_size]
            z = z_from_seeds(batch, G.z_dim, device)  # [B, z_dim]
            c = class_labels(G.c_dim, class_idx, len(batch), device)  # [B, c_dim] or None
            if not has_mapping:  # baselines (DCGAN family): no W space, no noise inputs
                out.append(torch.from_numpy(to_uint8(G(z, c))))
                continue
            if centroids is None:
                ws = G.mapping(z, c, truncation_psi=psi, truncation_cutoff=truncation_cutoff)  # [B, num_ws, w_dim]
            else:
                ws = centroid_truncation(G.mapping(z, c), centroids, psi, truncation_cutoff)
            if noise_mode == "random":
                img = _synthesize_seeded(G, ws, batch)
            else:
                img = G.synthesis(ws, noise_mode=noise_mode)  # [B, C, H, W] in about [-1, 1]
            out.append(torch.from_numpy(to_uint8(img)))
    return torch.cat(out)
