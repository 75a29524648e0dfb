"""Projected GAN recipes as presets: ``--cfg projected-fastgan`` (the paper's) and ``--cfg projected-cpu`` (ours,
tuned on the bundled emoji set for 2 CPU cores; docs/projected.md). Both train FastGAN-lite against the projected D
with the hinge loss, Adam (betas (0, 0.99); lr 2e-4 in the paper, 1e-3 on the CPU), no R1 and DiffAugment inside D."""

from __future__ import annotations

from ganforge.presets import PRESETS, Preset


def projected_recipe(*, batch: int, kimg: float, lr: float, ema_kimg: float, d_options: dict, hints: dict,
                     description: str) -> Preset:
    """A preset: FastGAN-lite + projected D, hinge, R1 off, Adam with beta1 0."""
    values = {"model": {"family": "fastgan", "d": "projected", "d_options": d_options},
              "run": {"batch": batch, "kimg": kimg},
              "loss": {"adversarial": "hinge", "regs": [{"name": "r1", "weight": 0.0}]},
              "optim": {"G": {"lr": lr, "betas": [0.0, 0.99]}, "D": {"lr": lr, "betas": [0.0, 0.99]},
                        "ema_kimg": ema_kimg, "ema_rampup": None}}
    return Preset(values=values, model_hints=hints, description=description)


PRESETS.register("projected-fastgan", projected_recipe(
    batch=64, kimg=10_000, lr=0.0002, ema_kimg=20.0, d_options={"backbone_res": 256},
    hints={"z_dim": 256, "ngf": 128},
    description="Projected GAN (Sauer et al. 2021): FastGAN-lite G, EfficientNet-lite0 projected D, 256 px (GPU scale)"))
PRESETS.register("projected-cpu", projected_recipe(
    batch=16, kimg=20, lr=0.001, ema_kimg=1.0,
    d_options={"backbone_res": 64, "mix_channels": 32, "head_channels": 32},
    hints={"z_dim": 128, "ngf": 16},
    description="Projected GAN on 2 CPU cores at 32 px: FastGAN-lite (ngf 16) and a 64 px projection (emoji set)"))
