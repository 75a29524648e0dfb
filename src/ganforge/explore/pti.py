"""Pivotal tuning inversion (Roich et al. 2021, "Pivotal Tuning for Latent-based Editing of Real Images").

After projection has found a pivot latent ``w_p`` (in W), the generator itself is fine-tuned so that
``G(w_p)`` reproduces the target: ``L_pt = D_perc(G(w_p; theta), x) + lambda_L2 * ||G(w_p; theta) - x||^2``.
A locality regulariser keeps the rest of the latent space where it was: latents ``w_r`` at distance
``alpha`` from the pivot toward random samples must render as the original G renders them,
``L_R = D_perc(G(w_r; theta), G(w_r; theta_0)) + lambda_L2 * ||...||^2`` weighted by ``lambda_R``.
The paper uses 350 Adam steps at lr 3e-4, ``lambda_L2 = 1``, ``alpha = 30``, ``lambda_R = 0.1``.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from tqdm import tqdm

from ganforge.explore.distance import Distance, pixel_mse, weight_free_distance
from ganforge.explore.noise_reg import use_noise_maps
from ganforge.explore.project import frozen, to_float_images


def pivotal_tuning(
    G: torch.nn.Module,
    target: torch.Tensor | np.ndarray,
    ws_pivot: torch.Tensor,
    *,
    steps: int = 350,
    lr: float = 3e-4,
    distance: Distance | None = None,
    l2_weight: float = 1.0,
    locality_weight: float = 0.1,
    locality_alpha: float = 30.0,
    noise: dict[str, torch.Tensor] | None = None,
    c: torch.Tensor | None = None,
    seed: int = 0,
    progress: bool = False,
) -> tuple[torch.nn.Module, torch.Tensor]:
    """Fine-tune a copy of G's synthesis network around the pivots (G itself is not changed).

    Args:
        G: StyleGAN2 generator.
        target: ``[N, C, H, W]`` uint8 or float in [-1, 1].
        ws_pivot: ``[N, num_ws, w_dim]`` pivots (e.g. ``project(...).ws``).
        steps: Adam steps.
        lr: Learning rate.
        distance: Perceptual distance ``-> [N]``; default: the weight-free one.
        l2_weight: ``lambda_L2``.
        locality_weight: ``lambda_R`` (0 = no locality regulariser).
        locality_alpha: Distance of the regulariser's latents from the pivot.
        noise: Noise maps ``{layer: [N, 1, R, R]}`` found with the pivot, or ``None`` (stored noise).
        c: ``[1, c_dim]`` label of a conditional G for the regulariser's samples, else ``None``.
        seed: Seeds the regulariser's latents.
        progress: Show a tqdm bar.

    Returns:
        ``(G_tuned, losses [steps])``: a tuned deep copy in eval mode without gradients, and ``L_pt`` per step.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    device = next(G.parameters()).device
    target = to_float_images(target, device)
    ws_pivot = ws_pivot.detach().to(device)
    if ws_pivot.shape != (target.shape[0], G.num_ws, G.w_dim):
        raise ValueError(f"ws_pivot must be [{target.shape[0]}, {G.num_ws}, {G.w_dim}], got {list(ws_pivot.shape)}")
    distance = weight_free_distance() if distance is None else distance
    G_tuned = copy.deepcopy(G).eval()
    G_tuned.requires_grad_(False)
    G_tuned.synthesis.requires_grad_(True)
    opt = torch.optim.Adam(G_tuned.synthesis.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    losses = []
    with frozen(G):
        for _ in tqdm(range(steps), desc="pti", unit="step", disable=not progress, leave=False):
            with use_noise_maps(G_tuned, noise):
                img = G_tuned.synthesis(ws_pivot, noise_mode="const")
            loss_pt = distance(img, target) + l2_weight * pixel_mse(img, target)  # [N]
            loss = loss_pt.sum()
            if locality_weight > 0:
                z = torch.randn([ws_pivot.shape[0], G.z_dim], generator=gen).to(device)
                with torch.no_grad():
                    w_z = G.mapping(z, None if c is None else c.expand(len(z), -1))[:, :1]  # [N, 1, w_dim]
                    step = w_z - ws_pivot
                    ws_r = ws_pivot + locality_alpha * step / step.norm(dim=2, keepdim=True).clamp_min(1e-8)
                    ref = G.synthesis(ws_r, noise_mode="const")
                out = G_tuned.synthesis(ws_r, noise_mode="const")
                loss = loss + locality_weight * (distance(out, ref) + l2_weight * pixel_mse(out, ref)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(float(loss_pt.detach().mean()))
    G_tuned.requires_grad_(False)
    return G_tuned, torch.tensor(losses)
