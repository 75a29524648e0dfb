"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN")."""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.stylegan2.config import StyleGAN2Config
from ganforge.models.stylegan2.discriminator import Discriminator
from ganforge.models.stylegan2.generator import Generator
from ganforge.models.stylegan2.mapping import MappingNetwork
from ganforge.models.stylegan2.synthesis import SynthesisNetwork


def build_generator(cfg: StyleGAN2Config) -> Generator:
    """The generator of ``cfg``."""
    return Generator(
        z_dim=cfg.z_dim, c_dim=cfg.c_dim, w_dim=cfg.w_dim, img_resolution=cfg.img_resolution,
        img_channels=cfg.img_channels, mapping_layers=cfg.mapping_layers,
        mapping_lr_multiplier=cfg.mapping_lr_multiplier, w_avg_beta=cfg.w_avg_beta,
        channel_base=cfg.channel_base, channel_max=cfg.channel_max, architecture=cfg.g_architecture,
        conv_clamp=cfg.conv_clamp, num_fp16_res=cfg.num_fp16_res, resample_filter=cfg.resample_filter,
        init_res=cfg.init_res, input=cfg.input,
    )


def build_discriminator(cfg: StyleGAN2Config) -> Discriminator:
    """The discriminator of ``cfg``."""
    return Discriminator(
        c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
        architecture=cfg.d_architecture, channel_base=cfg.channel_base, channel_max=cfg.channel_max,
        conv_clamp=cfg.conv_clamp, cmap_dim=cfg.cmap_dim, mbstd_group_size=cfg.mbstd_group_size,
        mbstd_num_channels=cfg.mbstd_num_channels, mapping_layers=cfg.d_mapping_layers,
        resample_filter=cfg.resample_filter, init_res=cfg.init_res,
    )


OVERRIDE_KEYS = ("z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max", "mbstd_group_size",
                 "g_architecture", "d_architecture", "input")


def defaults(ctx: FamilyContext, overrides: dict) -> StyleGAN2Config:
    """The StyleGAN2 config for a dataset: channel_base 16384 below 512 px (32768 from 512 px, as the ADA auto config),
    minibatch-std group at most the per-pass batch; ``overrides`` (flags, preset hints) win."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    known.setdefault("channel_base", 32768 if ctx.resolution >= 512 else 16384)
    known["mbstd_group_size"] = min(known.get("mbstd_group_size") or min(ctx.batch_gpu, 4), ctx.batch_gpu)
    return StyleGAN2Config.from_dict({"name": "stylegan2", "img_resolution": ctx.resolution, "init_res": ctx.init_res,
                                      "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


FAMILIES.register("stylegan2", FamilySpec(StyleGAN2Config, build_generator, default_d="stylegan2", defaults=defaults,
                                          override_keys=OVERRIDE_KEYS, default_regs=(("pl", 2.0, 4),),
                                          non_square=True))
DISCRIMINATORS.register("stylegan2", DiscriminatorSpec(build_discriminator, families=("stylegan2",)))

__all__ = ["StyleGAN2Config", "Generator", "Discriminator", "MappingNetwork", "SynthesisNetwork",
           "build_generator", "build_discriminator"]
