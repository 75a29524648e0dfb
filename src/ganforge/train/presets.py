"""Named training presets (``--cfg``) as data, and their resolution into a concrete ``TrainConfig``.

The paper presets carry the published StyleGAN2 / StyleGAN2-ADA hyper-parameters. ``auto`` derives batch, channels,
R1 gamma and EMA from the resolution and the number of processes with the heuristic of the ADA paper's auto config:
``batch = max(min(gpus * min(4096 // res, 32), 64), gpus)``, ``gamma = 0.0002 * res^2 / batch``,
``ema_kimg = batch * 10 / 32``, channel_base 16384 below 512 px (32768 above), lr 0.002 at 1024 px else 0.0025.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ganforge.models import model_config
from ganforge.registry import Registry
from ganforge.train.config import TrainConfig


@dataclass(frozen=True)
class Preset:
    """Hyper-parameters of a named config; ``None`` = derived by the auto heuristic."""

    batch: int | None = None
    mbstd_group: int | None = None
    channel_base: int | None = None
    channel_max: int = 512
    lr: float | None = None
    r1_gamma: float | None = None
    ema_kimg: float | None = None
    ema_rampup: float | None = 0.05
    mapping_layers: int = 2
    z_dim: int = 512
    w_dim: int = 512
    kimg: float = 25000.0
    betas: tuple[float, float] | None = None
    """Adam betas replacing TrainConfig's default (0, 0.99) when the user kept it; None = keep."""
    description: str = ""


PRESETS: Registry[Preset] = Registry("training preset")
PRESETS.register("auto", Preset(description="batch, channels, gamma, EMA from resolution and process count (ADA auto)"))
PRESETS.register("stylegan2", Preset(batch=32, mbstd_group=4, channel_base=32768, lr=0.002, r1_gamma=10.0,
                                     ema_kimg=10.0, ema_rampup=None, mapping_layers=8,
                                     description="StyleGAN2 config F (FFHQ 1024)"))
PRESETS.register("paper256", Preset(batch=64, mbstd_group=8, channel_base=16384, lr=0.0025, r1_gamma=1.0,
                                    ema_kimg=20.0, ema_rampup=None, mapping_layers=8,
                                    description="ADA paper, 256 px"))
PRESETS.register("paper512", Preset(batch=64, mbstd_group=8, channel_base=32768, lr=0.0025, r1_gamma=0.5,
                                    ema_kimg=20.0, ema_rampup=None, mapping_layers=8,
                                    description="ADA paper, 512 px"))
PRESETS.register("paper1024", Preset(batch=32, mbstd_group=4, channel_base=65536, lr=0.002, r1_gamma=2.0,
                                     ema_kimg=10.0, ema_rampup=None, mapping_layers=8,
                                     description="ADA paper, 1024 px"))
PRESETS.register("cifar", Preset(batch=64, mbstd_group=32, channel_base=32768, lr=0.0025, r1_gamma=0.01,
                                 ema_kimg=500.0, ema_rampup=0.05, mapping_layers=2,
                                 description="ADA paper, CIFAR-10 32 px"))
PRESETS.register("small", Preset(batch=16, mbstd_group=4, channel_base=16384, channel_max=256, lr=0.0025,
                                 mapping_layers=2, z_dim=256, w_dim=256,
                                 description="the 'small' benchmark networks (256 channels, z/w 256)"))
PRESETS.register("cpu", Preset(batch=16, mbstd_group=4, channel_base=4096, channel_max=128, lr=0.0025,
                               mapping_layers=2, z_dim=128, w_dim=128, kimg=20.0,
                               description="a few minutes on a laptop CPU at 32 px (128 channels, z/w 128)"))

PRESETS.register("dcgan", Preset(batch=64, channel_base=8192, channel_max=512, lr=0.0002, r1_gamma=0.0, ema_kimg=1.0,
                                 z_dim=100, kimg=1000.0, betas=(0.5, 0.999),
                                 description="DCGAN baselines (Radford et al. 2015): Adam 2e-4, betas (0.5, 0.999)"))
DEFAULT_BETAS = (0.0, 0.99)


def list_presets() -> list[str]:
    """Names accepted by ``--cfg``."""
    return PRESETS.names()


def resolve_config(cfg: TrainConfig, *, resolution: int, img_channels: int, c_dim: int, num_gpus: int = 1) -> TrainConfig:
    """Fill every ``None`` of ``cfg`` from its preset, the dataset shape and the process count."""
    if num_gpus < 1:
        raise ValueError(f"num_gpus must be >= 1, got {num_gpus}")
    model_name = cfg.model.name if cfg.model is not None else cfg.model_name
    baseline = model_name != "stylegan2"
    preset = PRESETS.get("dcgan" if baseline and cfg.cfg == "auto" else cfg.cfg)
    batch = cfg.batch or preset.batch or max(min(num_gpus * min(4096 // resolution, 32), 64), num_gpus)
    if batch % num_gpus:
        raise ValueError(f"--batch {batch} must be a multiple of the number of processes ({num_gpus})")
    batch_gpu = cfg.batch_gpu or batch // num_gpus
    if batch % (batch_gpu * num_gpus):
        raise ValueError(f"--batch {batch} must be a multiple of --batch-gpu {batch_gpu} x {num_gpus} processes")
    lr = preset.lr or (0.002 if resolution >= 1024 else 0.0025)
    model = cfg.model
    if model is None and baseline:
        model = model_config(model_name, img_resolution=resolution, img_channels=img_channels,
                             c_dim=c_dim if cfg.cond else 0, z_dim=preset.z_dim,
                             channel_base=cfg.channel_base or preset.channel_base or 8192,
                             channel_max=cfg.channel_max or preset.channel_max, spectral_norm=cfg.spectral_norm,
                             d_norm="none" if cfg.spectral_norm else "batch")
    elif cfg.spectral_norm and model_name == "stylegan2":
        raise ValueError("--sn (spectral norm) is an option of the DCGAN-family models (--model dcgan, dcgan-resnet, "
                         "dcgan-csp)")
    if model is None:
        channel_base = cfg.channel_base or preset.channel_base or (32768 if resolution >= 512 else 16384)
        mbstd = preset.mbstd_group or min(batch_gpu, 4)
        model = model_config(
            "stylegan2", img_resolution=resolution, img_channels=img_channels, c_dim=c_dim if cfg.cond else 0,
            z_dim=preset.z_dim, w_dim=preset.w_dim, mapping_layers=cfg.mapping_layers or preset.mapping_layers,
            channel_base=channel_base, channel_max=cfg.channel_max or preset.channel_max, mbstd_group_size=min(mbstd, batch_gpu),
        )
    elif (model.img_resolution, model.img_channels) != (resolution, img_channels):
        raise ValueError(f"model is {model.img_resolution}px x {model.img_channels} channels but the dataset is "
                         f"{resolution}px x {img_channels} channels")
    return replace(
        cfg, model=model, kimg=cfg.kimg or preset.kimg, batch=batch, batch_gpu=batch_gpu,
        g_lr=cfg.g_lr or lr, d_lr=cfg.d_lr or lr,
        r1_gamma=cfg.r1_gamma if cfg.r1_gamma is not None else (preset.r1_gamma if preset.r1_gamma is not None
                                                               else 0.0002 * resolution**2 / batch),
        ema_kimg=cfg.ema_kimg if cfg.ema_kimg is not None else (preset.ema_kimg if preset.ema_kimg is not None
                                                               else batch * 10 / 32),
        betas=preset.betas if preset.betas is not None and tuple(cfg.betas) == DEFAULT_BETAS else cfg.betas,
        ema_rampup=cfg.ema_rampup if cfg.ema_rampup is not None else preset.ema_rampup,
    )
