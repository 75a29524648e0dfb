"""StyleGAN3's training recipes as presets (``--cfg stylegan3-t | stylegan3-r | stylegan3-cpu``).

The official training script's settings for its ``stylegan3-t`` / ``stylegan3-r`` configs: batch 32, Adam betas
(0, 0.99) with G lr 0.0025 and D lr 0.002, G_ema half-life ``batch * 10 / 32`` kimg with a 5% ramp-up, R1 only (no
path length, no style mixing), mapping depth 2, ``--cbase 32768 --cmax 512`` (config R doubles them for G), and for
R the images D sees blurred with a Gaussian whose sigma fades linearly from 10 px to 0 over the first
``batch * 200 / 32`` kimg. The official script has no default gamma; its guide scales it with the square of the
resolution (0.5 at 128 px, 2 at 256, 8 at 512, 32 at 1024), so these presets take 2 (256 px): pass ``--gamma``
for other sizes. ``stylegan3-cpu`` is ours: config T with 8 layers at a CPU width (see docs/stylegan3.md).
"""

from __future__ import annotations

from ganforge.presets import PRESETS, Preset


def stylegan3_preset(cfg: str, *, batch: int, r1_gamma: float, kimg: float, hints: dict, description: str,
                     g_lr: float = 0.0025, d_lr: float = 0.002, blur_sigma: float = 0.0) -> Preset:
    """A StyleGAN3 recipe in the official script's vocabulary."""
    values = {"model": {"family": "stylegan3"}, "run": {"batch": batch, "kimg": kimg},
              "loss": {"style_mixing_prob": 0.0, "regs": [{"name": "r1", "weight": r1_gamma}]},
              "optim": {"G": {"lr": g_lr, "betas": [0.0, 0.99]}, "D": {"lr": d_lr, "betas": [0.0, 0.99]},
                        "ema_kimg": batch * 10 / 32, "ema_rampup": 0.05}}
    if blur_sigma > 0:
        values["schedules"] = [{"target": "blur_sigma", "kind": "linear", "start": blur_sigma, "end": 0.0,
                                "ramp_kimg": batch * 200 / 32}]
    # The official script tracks each layer's input magnitude once per D step with beta 0.5 ** (batch / 20k): a
    # half-life of 20k images. ganforge's layers track it on every training-mode forward, G's and D's phase: twice
    # per minibatch, hence 40k for the same half-life in images.
    magnitude_ema_beta = 0.5 ** (batch / 40_000)
    return Preset(values=values, model_hints={"cfg": cfg, "magnitude_ema_beta": magnitude_ema_beta, **hints},
                  description=description)


_OFFICIAL = {"z_dim": 512, "w_dim": 512, "mapping_layers": 2, "channel_base": 32768, "channel_max": 512,
             "mbstd_group_size": 4}

PRESETS.register("stylegan3-t", stylegan3_preset(
    "t", batch=32, r1_gamma=2.0, kimg=25000.0, hints=_OFFICIAL,
    description="StyleGAN3-T, the official settings (gamma 2 = the 256 px value; --gamma scales with res^2)"))
PRESETS.register("stylegan3-r", stylegan3_preset(
    "r", batch=32, r1_gamma=2.0, kimg=25000.0, blur_sigma=10.0, hints=_OFFICIAL,
    description="StyleGAN3-R, the official settings (blur of D's images fading over 200 kimg; gamma as -t)"))
PRESETS.register("stylegan3-cpu", stylegan3_preset(
    "t", batch=16, r1_gamma=0.05, kimg=20.0, hints={"z_dim": 128, "w_dim": 128, "mapping_layers": 2,
                                                     "channel_base": 1024, "channel_max": 32, "num_layers": 8,
                                                     "mbstd_group_size": 4},
    description="StyleGAN3-T on a CPU at 32 px: 8 layers of 32 channels, z/w 128, gamma 0.05"))
