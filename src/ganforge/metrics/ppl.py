"""Perceptual path length (Karras et al. 2019, StyleGAN sec. 4.2; the StyleGAN2 / ADA protocol of REFERENCE Part 2).

For each sample: two latents, a position ``t`` (uniform for ``full``, 0 for ``end``), and the images at ``t`` and
``t + eps`` along a slerp in Z or a lerp in W, with the same labels and the same noise. The sample's path length is
``distance(img_t, img_t+eps) / eps**2``; PPL is the mean over samples inside the [1st, 99th] percentiles.

The distance is injectable: ``distance(img0, img1) -> [N]`` on float images ``[N, 3, h, w]`` in [0, 255]. NVIDIA uses
LPIPS-VGG (:func:`lpips_distance` builds it from the user's weight files).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import torch
from tqdm import tqdm

from ganforge.models.network import require_mapping

Distance = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of the directions of ``a`` and ``b`` ``[N, D]`` at ``t`` ``[N, 1]``; unit-norm rows."""
    a = a / a.norm(dim=-1, keepdim=True)
    b = b / b.norm(dim=-1, keepdim=True)
    d = (a * b).sum(dim=-1, keepdim=True).clamp(-1, 1)
    p = t * torch.acos(d)
    c = b - d * a
    c = c / c.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    out = a * torch.cos(p) + c * torch.sin(p)
    return out / out.norm(dim=-1, keepdim=True)


def trimmed_mean(dist: np.ndarray, lo_pct: float = 1, hi_pct: float = 99) -> float:
    """Mean of ``dist`` over the samples within the ``lo_pct`` (lower) and ``hi_pct`` (higher) percentiles."""
    lo = np.percentile(dist, lo_pct, method="lower")
    hi = np.percentile(dist, hi_pct, method="higher")
    return float(np.extract(np.logical_and(dist >= lo, dist <= hi), dist).mean())


@contextmanager
def _shared_random_noise(G: torch.nn.Module, gen: torch.Generator) -> Iterator[None]:
    """Fill G's constant noise buffers with fresh random values (same for every image of the batch), restore after."""
    buffers = [buf for name, buf in G.named_buffers() if name.endswith("noise_const")]
    saved = [buf.clone() for buf in buffers]
    try:
        for buf in buffers:
            buf.copy_(torch.randn(buf.shape, generator=gen).to(buf.device))
        yield
    finally:
        for buf, old in zip(buffers, saved):
            buf.copy_(old)


def _prepare(img: torch.Tensor, crop: bool) -> torch.Tensor:
    """Face crop ``[3c:7c, 2c:6c]`` (c = H / 8), box-downsample to 256 when larger, scale to [0, 255], RGB."""
    if crop:
        c = img.shape[2] // 8
        img = img[:, :, c * 3:c * 7, c * 2:c * 6]
    factor = img.shape[2] // 256
    if factor > 1:
        n, ch, h, w = img.shape
        img = img.reshape(n, ch, h // factor, factor, w // factor, factor).mean(dim=(3, 5))
    img = (img + 1) * (255 / 2)
    return img.repeat(1, 3, 1, 1) if img.shape[1] == 1 else img


@torch.no_grad()
def perceptual_path_length(
    G: torch.nn.Module,
    distance: Distance,
    *,
    num_samples: int = 50_000,
    epsilon: float = 1e-4,
    space: str = "w",
    sampling: str = "end",
    crop: bool = True,
    batch_size: int = 16,
    seed: int = 0,
    labels: Callable[[int, np.random.Generator], torch.Tensor | None] | None = None,
    device: torch.device | str = "cpu",
    progress: bool = False,
) -> dict[str, float]:
    """PPL of a mapping/synthesis generator.

    Args:
        G: Generator with ``mapping``, ``synthesis``, ``z_dim`` (StyleGAN layout).
        distance: ``(img0, img1) -> [N]`` on ``[N, 3, h, w]`` in [0, 255].
        num_samples: Sample pairs (NVIDIA: 50 000).
        epsilon: Step (1e-4).
        space: ``z`` (slerp) or ``w`` (lerp).
        sampling: ``full`` (t ~ U(0, 1)) or ``end`` (t = 0).
        crop: Face crop (StyleGAN2 ``ppl_*``; ADA's ``ppl2_*`` has none).
        batch_size: Pairs per forward pass.
        seed: Seed of latents, t and noise; the result is deterministic given it.
        labels: ``(n, rng) -> c [n, c_dim]`` for a conditional G.
        device: Where G runs.

    Returns:
        ``{'ppl': trimmed mean, 'ppl_median': median, 'num_samples': N}``.
    """
    if space not in ("z", "w") or sampling not in ("full", "end"):
        raise ValueError(f"space must be 'z' or 'w' and sampling 'full' or 'end', got {space!r}, {sampling!r}")
    require_mapping(G, "PPL")
    device = torch.device(device)
    gen = torch.Generator().manual_seed(seed)
    label_rng = np.random.default_rng(seed)
    dists = []
    bar = tqdm(total=num_samples, desc="ppl", unit="pair", disable=not progress, leave=False)
    while sum(d.shape[0] for d in dists) < num_samples:
        b = min(batch_size, num_samples - sum(d.shape[0] for d in dists))
        t = torch.rand([b], generator=gen) * (1 if sampling == "full" else 0)
        z0, z1 = torch.randn([2 * b, G.z_dim], generator=gen).to(device).chunk(2)
        t = t.to(device)
        c = labels(b, label_rng) if labels is not None else None
        cc = torch.cat([c, c]) if c is not None else None
        if space == "w":
            w0, w1 = G.mapping(torch.cat([z0, z1]), cc).chunk(2)
            tt = t[:, None, None]
            ws = torch.cat([w0.lerp(w1, tt), w0.lerp(w1, tt + epsilon)])
        else:
            tt = t[:, None]
            ws = G.mapping(torch.cat([slerp(z0, z1, tt), slerp(z0, z1, tt + epsilon)]), cc)
        with _shared_random_noise(G, gen):
            img = G.synthesis(ws, noise_mode="const")
        img = _prepare(img.float(), crop)
        d = distance(img[:b], img[b:]).double().cpu() / epsilon**2
        dists.append(d.reshape(b))
        bar.update(b)
    bar.close()
    dist = torch.cat(dists).numpy()
    return {"ppl": trimmed_mean(dist), "ppl_median": float(np.median(dist)), "num_samples": float(dist.shape[0])}


def lpips_distance(vgg16: str | Path | None = None, lpips_heads: str | Path | None = None,
                   device: torch.device | str = "cpu") -> Distance:
    """LPIPS-VGG as a PPL distance: NVIDIA's TorchScript ``vgg16.pt`` alone, or torchvision VGG16 + LPIPS heads.

    Files come from the arguments or ``$GANFORGE_VGG16`` / ``$GANFORGE_LPIPS`` (sha256-checked, never downloaded).
    """
    from ganforge.backbones import TorchScriptVGG16, build_backbone, locate_weights
    from ganforge.backbones.weights import is_torchscript_archive

    vgg_path = locate_weights("vgg16", vgg16)  # build_backbone checks its sha256
    if is_torchscript_archive(vgg_path):
        vgg = build_backbone("vgg16", vgg_path, device=device, with_classifier=False).net
        assert isinstance(vgg, TorchScriptVGG16)

        def torchscript_distance(img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
            f0, f1 = vgg.lpips_features(torch.cat([img0, img1]).to(device)).chunk(2)
            return (f0 - f1).square().sum(dim=1)

        return torchscript_distance
    net = build_backbone("lpips", lpips_heads, vgg16=vgg_path, device=device)

    def lpips_pair_distance(img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        return net(img0.to(device) / 127.5 - 1, img1.to(device) / 127.5 - 1)

    return lpips_pair_distance
