"""The droplet measure (StyleGAN2 paper, section 2): per synthesis layer, the largest spatial feature magnitude over
the median one.

StyleGAN1's AdaIN normalises every feature map on its own, and the generator learns to sneak signal strength past it
with one strong, local spike that dominates the map's statistics: the "droplet". For each layer ``b{R}.conv0`` /
``b{R}.conv1`` of a synthesis network whose blocks expose their layers (StyleGAN1, StyleGAN2), the feature magnitude
at a pixel is the L2 norm over channels of the layer's activations; its spatial maximum over its spatial median,
averaged over the samples, is the layer's spike ratio. Smooth maps give ratios near 1-3; a droplet gives tens to
hundreds. The activations are those the normalisation sees: a layer with an ``adain`` child (StyleGAN1) is read at
that child's input (after noise, bias and leaky ReLU, before instance normalisation: the spike the paper describes
lives there); other layers (StyleGAN2: modulated conv, noise, bias, activation) at their output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganforge.models.network import require_mapping

LAYER_NAMES = ("conv0", "conv1")


def spike_ratio(x: torch.Tensor, eps: float = 1e-12) -> float:
    """``x: [N, C, H, W]`` -> mean over samples of ``max_pixels |x| / median_pixels |x|`` (``|x|``: L2 norm over C)."""
    mag = x.float().square().sum(dim=1).sqrt().flatten(1)  # [N, H*W]
    return float((mag.amax(dim=1) / mag.median(dim=1).values.clamp_min(eps)).mean())


def spike_ratios(G: torch.nn.Module, ws: torch.Tensor, noise_mode: str = "const") -> dict[str, float]:
    """``{"b4/conv1": ratio, "b8/conv0": ..., ...}`` for ``ws: [N, num_ws, w_dim]``, coarse to fine."""
    return {key: spike_ratio(x) for key, x in layer_features(G, ws, noise_mode).items()}


def layer_features(G: torch.nn.Module, ws: torch.Tensor, noise_mode: str = "const") -> dict[str, torch.Tensor]:
    """``{"b4/conv1": [N, C, 4, 4], ...}``: each layer's activations where the measure reads them, coarse to fine."""
    require_mapping(G, "the droplet measure")
    feats: dict[str, torch.Tensor] = {}
    handles = []
    for res in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f"b{res}")
        for layer in LAYER_NAMES:
            module = getattr(block, layer, None)
            if module is None:
                continue
            key = f"b{res}/{layer}"
            norm = getattr(module, "adain", None)
            if norm is not None:  # the input of the instance normalisation
                def pre_hook(_module, inputs, key=key):
                    feats[key] = inputs[0].detach()

                handles.append(norm.register_forward_pre_hook(pre_hook))
                continue

            def hook(_module, _inputs, output, key=key):
                feats[key] = (output[0] if isinstance(output, tuple) else output).detach()

            handles.append(module.register_forward_hook(hook))
    if not handles:
        raise ValueError(f"the droplet measure needs synthesis blocks with {' / '.join(LAYER_NAMES)} layers")
    try:
        with torch.no_grad():
            G.synthesis(ws, noise_mode=noise_mode)
    finally:
        for h in handles:
            h.remove()
    return feats


def magnitude_maps(feats: dict[str, torch.Tensor], tile: int = 64, sample: int = 0) -> np.ndarray:
    """One row of panels ``[tile, n * (tile + 4), 3]`` uint8: per layer the feature magnitude of one sample (L2 over
    channels), scaled by its own maximum (0 black, max white; not min-max, so a spike stands out as one bright dot on
    a dark map), upscaled (nearest) to ``tile`` px."""
    panels = []
    for x in feats.values():
        mag = x[sample].float().square().sum(dim=0).sqrt()  # [H, W]
        img = (mag / mag.max().clamp_min(1e-12) * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
        factor = max(1, tile // img.shape[0])
        panels.append(img.repeat(factor, axis=0).repeat(factor, axis=1))
    height = max(p.shape[0] for p in panels)
    out = np.full([height, sum(p.shape[1] + 4 for p in panels), 3], 255, np.uint8)
    x = 0
    for p in panels:
        out[:p.shape[0], x:x + p.shape[1]] = p[..., None]
        x += p.shape[1] + 4
    return out


def spike_table(ratios: dict[str, float]) -> str:
    """A plain-text table: layer, ratio."""
    width = max(len("layer"), *(len(k) for k in ratios))
    lines = [f"{'layer':<{width}}  max/median", f"{'-' * width}  ----------"]
    lines += [f"{k:<{width}}  {v:10.2f}" for k, v in ratios.items()]
    return "\n".join(lines)


def spike_bar_chart(ratios: dict[str, float], path: str | Path, bar: int = 28, height: int = 240) -> Path:
    """A PNG bar chart of the ratios (one bar per layer, coarse to fine, labels below, log-free linear scale)."""
    from PIL import Image, ImageDraw

    names = list(ratios)
    values = np.array([ratios[n] for n in names], dtype=np.float64)
    top = max(float(values.max(initial=1.0)), 1.0)
    margin, label_h = 40, 70
    img = Image.new("RGB", (margin + len(names) * bar + 10, height + label_h + 20), "white")
    draw = ImageDraw.Draw(img)
    base = height + 10
    draw.line([(margin, 10), (margin, base), (img.width - 5, base)], fill="black")
    draw.text((2, 5), f"{top:.1f}", fill="black")
    draw.text((2, base - 10), "0", fill="black")
    for i, (name, value) in enumerate(zip(names, values)):
        x0 = margin + i * bar + 4
        y0 = base - int(round(height * value / top))
        draw.rectangle([x0, y0, x0 + bar - 8, base], fill=(70, 110, 200))
        for j, part in enumerate(name.split("/")):
            draw.text((x0 - 2, base + 4 + 12 * j), part, fill="black")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
