"""FastGAN-lite (Liu et al. 2021), the generator of Projected GANs (Sauer et al. 2021), registered as "fastgan"; it
trains with the projected discriminator (``--d projected``, its default)."""

from ganforge.models.base import FAMILIES, FamilyContext, FamilySpec
from ganforge.models.fastgan.config import FastGANConfig
from ganforge.models.fastgan.generator import Generator, SkipLayerExcitation, UpBlock, sle_pairs
from ganforge.models.fastgan.presets import projected_recipe


def build_generator(cfg: FastGANConfig) -> Generator:
    """The generator of ``cfg``."""
    return Generator(z_dim=cfg.z_dim, c_dim=cfg.c_dim, img_resolution=cfg.img_resolution,
                     img_channels=cfg.img_channels, channels={r: cfg.channels(r) for r in cfg.resolutions},
                     embed_dim=cfg.embed_dim)


OVERRIDE_KEYS = ("z_dim", "ngf", "channel_max", "embed_dim")


def defaults(ctx: FamilyContext, overrides: dict) -> FastGANConfig:
    """The FastGAN config for a dataset; ``overrides`` (flags, the preset's hints) win."""
    known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
    return FastGANConfig.from_dict({"name": "fastgan", "img_resolution": ctx.resolution,
                                    "img_channels": ctx.img_channels, "c_dim": ctx.c_dim, **known})


# --model fastgan --cfg auto means the CPU recipe (models/fastgan/presets.py)
FAMILIES.register("fastgan", FamilySpec(FastGANConfig, build_generator, default_d="projected", defaults=defaults,
                                        override_keys=OVERRIDE_KEYS, default_preset="projected-cpu"))

__all__ = ["FastGANConfig", "Generator", "UpBlock", "SkipLayerExcitation", "sle_pairs", "projected_recipe",
           "build_generator"]
