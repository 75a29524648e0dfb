"""The work behind ``ganforge project``: project targets, optionally pivot-tune, write every output.

Outputs in ``outdir``: ``projected_w.npz`` (``w [N, num_ws, w_dim]`` + noise maps), ``proj_NNNN.png``
(each reconstruction), ``compare.png`` (one row per target: target | projection [| PTI]),
``report.json`` (settings, per-image PSNR / SSIM / LPIPS, timings), optionally ``proj.mp4`` / ``.gif``
(the optimisation, target beside the current reconstruction), and with PTI ``pti_NNNN.png`` and
``pti-generator.safetensors`` (a checkpoint holding the tuned G_ema: render the pivots with
``ganforge generate --network pti-generator.safetensors --projected-w projected_w.npz``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.explore.detect import reconstruction_metrics
from ganforge.explore.distance import Distance
from ganforge.explore.noise_reg import use_noise_maps
from ganforge.explore.npz import save_npz, save_projected_w
from ganforge.explore.project import project
from ganforge.explore.pti import pivotal_tuning
from ganforge.explore.video import upscale, write_video
from ganforge.train.checkpoint import save_checkpoint
from ganforge.utils.atomic import atomic_write_bytes
from ganforge.utils.images import make_grid, save_png, to_uint8


def _summary(metrics: dict[str, list[float]]) -> dict[str, float]:
    return {f"{k}_mean": float(np.mean(v)) for k, v in metrics.items()}


def run_projection(
    G: torch.nn.Module,
    targets: torch.Tensor,
    names: list[str],
    outdir: str | Path,
    *,
    distance: Distance,
    distance_name: str,
    lpips: Distance | None = None,
    pti_steps: int = 0,
    pti_lr: float = 3e-4,
    video: str | None = None,
    video_every: int = 10,
    network_config: dict | None = None,
    figure_scale: int = 1,
    settings: dict[str, Any] | None = None,
    **project_kwargs: Any,
) -> dict[str, Any]:
    """Project ``targets [N, C, H, W]`` uint8 and write the outputs listed in the module docstring.

    Args:
        names: One name per target (for the report).
        distance: Projection distance; ``distance_name`` names it in the report.
        lpips: When given, LPIPS is also reported.
        pti_steps: Pivotal-tuning steps after projection (0 = none).
        video: ``None`` or a file name (``proj.mp4`` / ``proj.gif``) for the progress video.
        network_config: Training config dict (with ``"model"``) stored in the PTI checkpoint.
        figure_scale: Nearest-neighbour upscaling of ``compare.png``.
        settings: Echoed into the report.
        project_kwargs: Passed to :func:`ganforge.explore.project.project`.

    Returns:
        The report dict (also written to ``report.json``).
    """
    outdir = Path(outdir)
    in_z = project_kwargs.get("space") == "z"
    if in_z and pti_steps > 0:
        raise ValueError("--pti tunes G around a projected w; it needs a W space (this projection is into z)")
    t0 = time.perf_counter()
    res = project(G, targets, distance=distance, record_every=video_every if video else 0, progress=True,
                  **project_kwargs)
    t_proj = time.perf_counter() - t0
    if in_z:  # no W space: the input latents z [N, z_dim] (G(z) redraws the projections)
        save_npz(outdir / "projected_z.npz", {"z": res.ws.detach().cpu().numpy().astype(np.float32)})
    else:
        save_projected_w(outdir / "projected_w.npz", res.ws, res.noise)
    target_u8 = targets.permute(0, 2, 3, 1).numpy()  # [N, H, W, C]
    proj_u8 = to_uint8(res.images)
    for i, img in enumerate(proj_u8):
        save_png(img, outdir / f"proj_{i:04d}.png")
    per_image = {"projection": reconstruction_metrics(targets, res.images, lpips)}
    columns = [target_u8, proj_u8]
    report: dict[str, Any] = {"settings": dict(settings or {}), "space": "z" if in_z else project_kwargs.get("space", "w"),
                              "distance": distance_name, "targets": names,
                              "projection_seconds": round(t_proj, 2),
                              "final_distance": res.distances[-1].tolist()}
    if pti_steps > 0:
        t1 = time.perf_counter()
        G_tuned, _ = pivotal_tuning(G, targets, res.ws, steps=pti_steps, lr=pti_lr, distance=distance,
                                    noise=res.noise, progress=True)
        with torch.no_grad(), use_noise_maps(G_tuned, res.noise):
            pti_imgs = G_tuned.synthesis(res.ws, noise_mode="const")
        report["pti_seconds"] = round(time.perf_counter() - t1, 2)
        pti_u8 = to_uint8(pti_imgs)
        for i, img in enumerate(pti_u8):
            save_png(img, outdir / f"pti_{i:04d}.png")
        per_image["pti"] = reconstruction_metrics(targets, pti_imgs, lpips)
        columns.append(pti_u8)
        config = dict(network_config or {})
        save_checkpoint(outdir / "pti-generator.safetensors", modules={"G_ema": G_tuned}, optimizers={},
                        config=config, state={"pti_steps": pti_steps})
    tiles = np.stack([col[i] for i in range(len(targets)) for col in columns])
    save_png(make_grid(upscale(tiles, figure_scale), cols=len(columns), pad=2), outdir / "compare.png")
    if video:
        frames = np.stack([make_grid(np.concatenate([target_u8, f], axis=2), cols=int(np.ceil(np.sqrt(len(f)))), pad=2)
                           for f in res.frames])
        scale = 4 if frames.shape[1] <= 256 else 1
        write_video(frames, outdir / video, fps=10, scale=scale)
    report["per_image"] = per_image
    report["summary"] = {stage: _summary(m) for stage, m in per_image.items()}
    atomic_write_bytes(outdir / "report.json", (json.dumps(report, indent=2) + "\n").encode())
    return report
