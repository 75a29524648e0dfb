"""ProGAN (Karras, Aila, Laine, Lehtinen 2018, "Progressive Growing of GANs for Improved Quality, Stability, and
Variation"): equalized learning rate, pixel norm, minibatch stddev and progressive growing (``--growing``),
registered as "progan". Its D is also the default D of the "stylegan1" family."""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.progan.config import ProGANConfig, progan_channels
from ganforge.models.progan.discriminator import DBlock, Discriminator
from ganforge.models.progan.generator import GBlock, Generator
from ganforge.models.progan.presets import PROGAN_CPU


def build_generator(cfg: ProGANConfig) -> Generator:
    """The generator of ``cfg``."""
    return Generator(z_dim=cfg.z_dim, c_dim=cfg.c_dim, img_resolution=cfg.img_resolution,
                     img_channels=cfg.img_channels, channels=cfg.channel_dict(), init_res=cfg.init_res,
                     growing=cfg.growing)


def progan_discriminator(*, img_resolution: int, img_channels: int, c_dim: int, channel_base: int, channel_max: int,
                         mbstd_group_size: int, init_res: tuple[int, int] = (4, 4),
                         growing: bool = False) -> Discriminator:
    """The ProGAN discriminator from plain numbers (any family's config can supply them)."""
    channels = {2 ** i: progan_channels(2 ** i, channel_base, channel_max) for i in range(2, img_resolution.bit_length())}
    return Discriminator(c_dim=c_dim, img_resolution=img_resolution, img_channels=img_channels, channels=channels,
                         mbstd_group_size=mbstd_group_size, init_res=init_res, growing=growing)


def build_discriminator(cfg) -> Discriminator:
    """The ProGAN discriminator for any model config with ``img_resolution``, ``img_channels``, ``c_dim``,
    ``channel_base``, ``channel_max``, ``mbstd_group_size`` (and optionally ``init_res`` and ``growing``: a growing
    generator family gets a growing D)."""
    return progan_discriminator(img_resolution=cfg.img_resolution, img_channels=cfg.img_channels, c_dim=cfg.c_dim,
                                channel_base=cfg.channel_base, channel_max=cfg.channel_max,
                                mbstd_group_size=cfg.mbstd_group_size,
                                init_res=tuple(getattr(cfg, "init_res", (4, 4))),
                                growing=bool(getattr(cfg, "growing", False)))


OVERRIDE_KEYS = ("z_dim", "channel_base", "channel_max", "mbstd_group_size", "growing")


def defaults(ctx: FamilyContext, overrides: dict) -> ProGANConfig:
    """The ProGAN config for a dataset: the paper's widths (16384 / 512) and z 512 unless the flags or the preset's
    hints say otherwise; the minibatch-stddev group no larger than the per-GPU batch."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    known.setdefault("mbstd_group_size", max(min(4, ctx.batch_gpu), 1))
    return ProGANConfig.from_dict({"name": "progan", "img_resolution": ctx.resolution, "init_res": ctx.init_res,
                                   "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


# --model progan --cfg auto means the CPU recipe (models/progan/presets.py)
FAMILIES.register("progan", FamilySpec(ProGANConfig, build_generator, default_d="progan", defaults=defaults,
                                       override_keys=OVERRIDE_KEYS, default_preset="progan-cpu", non_square=True,
                                       grows=True))
DISCRIMINATORS.register("progan", DiscriminatorSpec(build_discriminator, families=("progan", "stylegan1")))

__all__ = ["ProGANConfig", "PROGAN_CPU", "Generator", "Discriminator", "GBlock", "DBlock", "progan_channels",
           "progan_discriminator", "build_generator", "build_discriminator"]
