"""StyleGAN1 (Karras et al. 2019, "A Style-Based Generator Architecture for GANs"): mapping network, learned
constant, per-layer noise and AdaIN, progressive growing with ``--growing``; registered as "stylegan1".

Its discriminator is the ProGAN discriminator (``progan``, as in the paper); ``--d stylegan1`` picks StyleGAN2's
``orig`` discriminator built from this config instead.
"""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.stylegan1 import presets  # noqa: F401  (registers "stylegan1-cpu")
from ganforge.models.stylegan1.config import StyleGAN1Config
from ganforge.models.stylegan1.generator import Generator
from ganforge.models.stylegan1.synthesis import SynthesisNetwork, adain
from ganforge.models.stylegan2.discriminator import Discriminator


def build_generator(cfg: StyleGAN1Config) -> Generator:
    """The generator of ``cfg``."""
    return Generator(z_dim=cfg.z_dim, c_dim=cfg.c_dim, w_dim=cfg.w_dim, img_resolution=cfg.img_resolution,
                     img_channels=cfg.img_channels, mapping_layers=cfg.mapping_layers,
                     mapping_lr_multiplier=cfg.mapping_lr_multiplier, w_avg_beta=cfg.w_avg_beta,
                     channel_base=cfg.channel_base, channel_max=cfg.channel_max, blur_filter=cfg.blur_filter,
                     growing=cfg.growing)


def build_discriminator(cfg: StyleGAN1Config) -> Discriminator:
    """The alternative D (``--d stylegan1``): StyleGAN2's ``orig`` discriminator (no skips or residuals, minibatch
    stddev) at the config's widths. The default is the ProGAN D (``progan``)."""
    return Discriminator(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                         architecture="orig", channel_base=cfg.channel_base, channel_max=cfg.channel_max,
                         mbstd_group_size=cfg.mbstd_group_size)


OVERRIDE_KEYS = ("z_dim", "w_dim", "mapping_layers", "channel_base", "channel_max", "mbstd_group_size", "growing")


def defaults(ctx: FamilyContext, overrides: dict) -> StyleGAN1Config:
    """The StyleGAN1 config for a dataset (minibatch-std group at most the per-pass batch); overrides win."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    known["mbstd_group_size"] = min(known.get("mbstd_group_size") or min(ctx.batch_gpu, 4), ctx.batch_gpu)
    return StyleGAN1Config.from_dict({"name": "stylegan1", "img_resolution": ctx.resolution,
                                      "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


FAMILIES.register("stylegan1", FamilySpec(StyleGAN1Config, build_generator, default_d="progan", defaults=defaults,
                                          override_keys=OVERRIDE_KEYS, default_preset="stylegan1-cpu",
                                          default_regs=(), grows=True))
DISCRIMINATORS.register("stylegan1", DiscriminatorSpec(build_discriminator, families=("stylegan1",)))

__all__ = ["StyleGAN1Config", "Generator", "Discriminator", "SynthesisNetwork", "adain", "build_generator",
           "build_discriminator"]
