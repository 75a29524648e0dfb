"""StyleGAN1's recipe as a preset (``--cfg stylegan1-cpu``): the paper's loss (non-saturating + R1, gamma 10, no path
length), Adam betas (0, 0.99), at a CPU-sized width at 32 px (like StyleGAN2's ``cpu`` preset; the paper's 8
mapping layers are kept, at width 128). With ``--growing``: start at 8x8 as the paper does, then a 2 kimg fade-in and 2
kimg of stabilising per resolution."""

from __future__ import annotations

from ganforge.presets import PRESETS, Preset

PRESETS.register("stylegan1-cpu", Preset(
    values={"model": {"family": "stylegan1"}, "run": {"batch": 16, "kimg": 20.0},
            "loss": {"adversarial": "nonsaturating", "regs": [{"name": "r1", "weight": 10.0}]},
            "optim": {"G": {"lr": 0.0025, "betas": [0.0, 0.99]}, "D": {"lr": 0.0025, "betas": [0.0, 0.99]},
                      "ema_rampup": 0.05},
            "schedules": [{"target": "growth", "kind": "grow", "start": 1.0, "fade_kimg": 2.0, "stabilize_kimg": 2.0}]},
    model_hints={"z_dim": 128, "w_dim": 128, "mapping_layers": 8, "channel_base": 4096, "channel_max": 128,
                 "mbstd_group_size": 4},
    description="StyleGAN1 on a laptop CPU at 32 px: non-saturating + R1 gamma 10, 128 channels, z/w 128 (--growing: "
                "from 8 px, 2 kimg fades)"))
