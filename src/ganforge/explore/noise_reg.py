"""Per-layer noise maps of a StyleGAN2 synthesis network, and the projector's noise regulariser.

Karras et al. (2020), Appendix D: when the noise maps are optimised along with w, they must not
carry the image themselves. Each map is penalised for spatial autocorrelation at every level of a
pyramid (down to 8x8, 2x2 average pooling between levels),
``L = sum_ij ((1/r^2) sum_xy n(x, y) n(x-1, y))^2 + ((1/r^2) sum_xy n(x, y) n(x, y-1))^2``
(the neighbour taken cyclically), and after each step every map is renormalised to zero mean and
unit variance.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


def noise_layers(G: torch.nn.Module) -> dict[str, torch.nn.Module]:
    """Synthesis layers that add noise, by module name (``synthesis.b8.conv0``, ...), in forward order."""
    return {name: m for name, m in G.named_modules() if getattr(m, "use_noise", False) and hasattr(m, "noise_const")}


def init_noise_maps(G: torch.nn.Module, n: int, *, generator: torch.Generator | None = None,
                    device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """Fresh N(0, 1) noise per layer and image: ``{name: [n, 1, R, R]}``."""
    maps = {}
    for name, layer in noise_layers(G).items():
        r = layer.noise_const.shape[-1]
        maps[name] = torch.randn([n, 1, r, r], generator=generator).to(device)
    return maps


@contextlib.contextmanager
def use_noise_maps(G: torch.nn.Module, maps: dict[str, torch.Tensor] | None) -> Iterator[None]:
    """Within the block, ``noise_mode='const'`` uses ``maps`` (``{name: [N, 1, R, R]}``, N = the batch)
    instead of the stored ``noise_const`` buffers; the buffers are restored afterwards."""
    if not maps:
        yield
        return
    layers = noise_layers(G)
    unknown = set(maps) - set(layers)
    if unknown:
        raise ValueError(f"noise maps for unknown layers {sorted(unknown)}; this network has {list(layers)}")
    saved = {name: layers[name].noise_const for name in maps}
    try:
        for name, noise in maps.items():
            layers[name].noise_const = noise  # a registered buffer name: stays a buffer, any shape
        yield
    finally:
        for name, buf in saved.items():
            layers[name].noise_const = buf


def noise_regularization(maps: dict[str, torch.Tensor] | list[torch.Tensor], min_size: int = 8) -> torch.Tensor:
    """Multi-scale autocorrelation penalty, ``[N]`` (summed over layers and pyramid levels).

    Args:
        maps: Noise maps ``[N, 1, R, R]``.
        min_size: Smallest pyramid level.
    """
    values = list(maps.values()) if isinstance(maps, dict) else list(maps)
    total = values[0].new_zeros(values[0].shape[0])
    for noise in values:
        while True:
            total = total + (noise * torch.roll(noise, shifts=1, dims=3)).mean(dim=(1, 2, 3)).square()
            total = total + (noise * torch.roll(noise, shifts=1, dims=2)).mean(dim=(1, 2, 3)).square()
            if noise.shape[-1] <= min_size:
                break
            noise = torch.nn.functional.avg_pool2d(noise, 2)
    return total


@torch.no_grad()
def normalize_noise_(maps: dict[str, torch.Tensor]) -> None:
    """Renormalise every map in place to zero mean and unit variance per image."""
    for noise in maps.values():
        mean = noise.mean(dim=(1, 2, 3), keepdim=True)
        std = (noise - mean).square().mean(dim=(1, 2, 3), keepdim=True).sqrt()
        noise.sub_(mean).div_(std.clamp_min(1e-8))
