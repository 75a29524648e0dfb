"""ProGAN's training recipe as a preset (``--cfg progan-cpu``): the paper's loss, WGAN-GP (lambda 10) with the
epsilon-drift term ``0.001 * D(x)^2`` on reals, and Adam with lr 0.001, betas (0, 0.99) (Karras et al. 2018, sec. A.1),
at small widths for a CPU at 32 px; G_ema with the StyleGAN2-ADA ramp-up (0.05), so short runs' grids show the
trained G rather than its initialisation (the paper's G smoothing, beta 0.999 per minibatch, has no ramp-up). With ``--growing`` the preset's growth schedule applies: 2 kimg at 4x4, then per
resolution a 2 kimg fade-in and 2 kimg of stabilising (the paper: 600 / 600), at 32 px 12 kimg until fully grown."""

from __future__ import annotations

from ganforge.presets import PRESETS, Preset

PROGAN_CPU = Preset(
    values={"model": {"family": "progan"}, "run": {"batch": 16, "kimg": 20},
            "loss": {"adversarial": "wgan-gp", "regs": [{"name": "wgan_gp", "weight": 10.0, "interval": 0},
                                                        {"name": "drift", "weight": 0.001, "interval": 0}]},
            "optim": {**{net: {"lr": 0.001, "betas": [0.0, 0.99]} for net in ("G", "D")}, "ema_rampup": 0.05},
            "schedules": [{"target": "growth", "kind": "grow", "fade_kimg": 2.0, "stabilize_kimg": 2.0}]},
    model_hints={"z_dim": 128, "channel_base": 1024, "channel_max": 64, "mbstd_group_size": 4},
    description="ProGAN on a CPU at 32 px: WGAN-GP + drift, Adam 0.001 (0, 0.99), widths 64 (32 at 32 px), z 128 "
                "(--growing: 2 kimg fades and stable phases)")

PRESETS.register("progan-cpu", PROGAN_CPU)
