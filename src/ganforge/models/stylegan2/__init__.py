"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN")."""

from ganforge.models.base import MODELS, ModelSpec
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
    )


def build_discriminator(cfg: StyleGAN2Config) -> Discriminator:
    """The discriminator of ``cfg``."""
    return Discriminator(
        c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
        architecture=cfg.d_architecture, channel_base=cfg.channel_base, channel_max=cfg.channel_max,
        conv_clamp=cfg.conv_clamp, cmap_dim=cfg.cmap_dim, mbstd_group_size=cfg.mbstd_group_size,
        mbstd_num_channels=cfg.mbstd_num_channels, mapping_layers=cfg.d_mapping_layers,
        resample_filter=cfg.resample_filter,
    )


MODELS.register("stylegan2", ModelSpec(StyleGAN2Config, build_generator, build_discriminator))

__all__ = ["StyleGAN2Config", "Generator", "Discriminator", "MappingNetwork", "SynthesisNetwork",
           "build_generator", "build_discriminator"]
