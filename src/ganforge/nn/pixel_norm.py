"""Pixel normalisation (ProGAN): ``b = a / sqrt(mean_c(a^2) + eps)`` along one axis."""

from __future__ import annotations

import torch


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Divide ``x`` by the root mean square along ``dim`` (z and class embeddings in the mapping net)."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


class PixelNorm(torch.nn.Module):
    """Module form of :func:`normalize_2nd_moment` over channels (ProGAN generator layers)."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return normalize_2nd_moment(x, dim=1, eps=self.eps)
