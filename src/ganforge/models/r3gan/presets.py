"""R3GAN's training recipes as presets (``--cfg r3gan-cifar | r3gan-ffhq64 | r3gan-cpu``).

A recipe is the ``rpgan`` loss with ``r1r2`` (R1 + R2, one gamma, every D step), Adam with beta1 0, and a cosine decay
over ``decay_kimg`` of the learning rate, Adam's beta2 (rising), gamma, the EMA half-life (rising from 0) and, when the
recipe augments, the augmentation probability (rising from 0) of ADA's pipeline at a scheduled p (``--aug fixed``;
``--aug ada`` instead tunes p itself and drops that schedule). The paper's recipes (Huang et al. 2024, sec. 4 and the
appendix) as we read them; the 32 px CPU recipe is ours, tuned on the bundled emoji set (docs/r3gan.md).
"""

from __future__ import annotations

from ganforge.presets import PRESETS, Preset, cosine_schedules


def r3gan_recipe(*, batch: int, kimg: float, decay_kimg: float, lr: tuple[float, float], beta2: tuple[float, float],
                 gamma: tuple[float, float], ema_kimg: tuple[float, float], aug_p: tuple[float, float] | None,
                 hints: dict, description: str) -> Preset:
    """A preset: the family, loss, optimiser start values and the cosine schedules of the recipe."""
    targets = {"G.lr": lr, "D.lr": lr, "G.beta2": beta2, "D.beta2": beta2, "reg.r1r2": gamma, "ema_kimg": ema_kimg}
    values = {"model": {"family": "r3gan"}, "run": {"batch": batch, "kimg": kimg},
              "loss": {"adversarial": "rpgan", "regs": [{"name": "r1r2", "weight": gamma[0], "interval": 0}]},
              "optim": {net: {"lr": lr[0], "betas": [0.0, beta2[0]]} for net in ("G", "D")}}
    values["optim"].update(ema_kimg=ema_kimg[1], ema_rampup=None)
    if aug_p is not None:
        targets["augment.p"] = aug_p
        values["augment"] = {"mode": "fixed", "p": aug_p[0], "pipe": "bgc"}
    values["schedules"] = cosine_schedules(targets, ramp_kimg=decay_kimg)
    return Preset(values=values, model_hints=hints, description=description)


PRESETS.register("r3gan-cifar", r3gan_recipe(
    batch=512, kimg=200_000, decay_kimg=20_000, lr=(2e-4, 5e-5), beta2=(0.9, 0.99), gamma=(0.05, 0.005),
    ema_kimg=(0.0, 5000.0), aug_p=(0.0, 0.55), hints={"z_dim": 64, "channel_base": 768 * 32, "channel_max": 768,
                                                      "group_size": 96, "blocks_per_stage": 2},
    description="R3GAN CIFAR-10 32 px (paper recipe as we read it; GPU scale)"))
PRESETS.register("r3gan-ffhq64", r3gan_recipe(
    batch=256, kimg=200_000, decay_kimg=20_000, lr=(2e-4, 5e-5), beta2=(0.9, 0.99), gamma=(2.0, 0.2),
    ema_kimg=(0.0, 500.0), aug_p=(0.0, 0.3), hints={"z_dim": 64, "channel_base": 768 * 64, "channel_max": 768,
                                                    "group_size": 96, "blocks_per_stage": 2},
    description="R3GAN FFHQ 64 px (paper recipe as we read it; GPU scale)"))
PRESETS.register("r3gan-cpu", r3gan_recipe(
    batch=32, kimg=40, decay_kimg=20, lr=(1e-3, 2.5e-4), beta2=(0.9, 0.99), gamma=(0.1, 0.01),
    ema_kimg=(0.0, 2.0), aug_p=None, hints={"z_dim": 64, "channel_base": 2048, "channel_max": 128,
                                            "group_size": 16, "blocks_per_stage": 2},
    description="R3GAN on 2 CPU cores at 32 px: a small net and a short cosine recipe (tuned on the emoji set)"))
