"""R3GAN (Huang, Gokaslan, Kuleshov, Tompkin 2024, "The GAN is dead; long live the GAN! A Modern Baseline GAN"):
a plain residual convnet with grouped convs, fix-up initialisation and no normalisation, registered as "r3gan"."""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.r3gan.config import R3GANConfig
from ganforge.models.r3gan.discriminator import Discriminator
from ganforge.models.r3gan.generator import Generator
from ganforge.models.r3gan.layers import ResidualBlock, fixup_scale
from ganforge.models.r3gan.presets import r3gan_recipe


def _arch_kwargs(cfg: R3GANConfig) -> dict:
    return dict(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                channels=cfg.channel_dict(), blocks_per_stage=cfg.blocks_per_stage, group_size=cfg.group_size,
                expansion=cfg.expansion, embed_dim=cfg.embed_dim, resample_filter=cfg.resample_filter,
                init_res=cfg.init_res)


def build_generator(cfg: R3GANConfig) -> Generator:
    """The generator of ``cfg``."""
    return Generator(z_dim=cfg.z_dim, **_arch_kwargs(cfg))


def build_discriminator(cfg: R3GANConfig) -> Discriminator:
    """The discriminator of ``cfg``."""
    return Discriminator(**_arch_kwargs(cfg))


OVERRIDE_KEYS = ("z_dim", "channel_base", "channel_max", "blocks_per_stage", "group_size", "expansion", "embed_dim")


def defaults(ctx: FamilyContext, overrides: dict) -> R3GANConfig:
    """The R3GAN config for a dataset: ``channel_base = max(4096, 32 * resolution)`` (the top stage keeps at least
    32 channels) and the config's small CPU widths (``channel_max`` 128) unless the flags or the preset's hints say
    otherwise."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    known.setdefault("channel_base", max(4096, 32 * ctx.resolution))
    return R3GANConfig.from_dict({"name": "r3gan", "img_resolution": ctx.resolution, "init_res": ctx.init_res,
                                  "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


# --model r3gan --cfg auto means the CPU recipe (models/r3gan/presets.py)
FAMILIES.register("r3gan", FamilySpec(R3GANConfig, build_generator, default_d="r3gan", defaults=defaults,
                                      override_keys=OVERRIDE_KEYS, default_preset="r3gan-cpu", non_square=True))
DISCRIMINATORS.register("r3gan", DiscriminatorSpec(build_discriminator, families=("r3gan",)))

__all__ = ["R3GANConfig", "r3gan_recipe", "Generator", "Discriminator", "ResidualBlock", "fixup_scale", "build_generator",
           "build_discriminator"]
