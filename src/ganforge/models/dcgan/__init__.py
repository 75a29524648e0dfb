"""DCGAN baselines (Radford et al. 2015) with plain, residual or CSP (Wang et al. 2020) blocks: "dcgan",
"dcgan-resnet", "dcgan-csp" in the model registry (they share one config class and differ only in their blocks)."""

from ganforge.models.base import DISCRIMINATORS, FAMILIES, DiscriminatorSpec, FamilyContext, FamilySpec
from ganforge.models.dcgan.config import BLOCK_OF, DCGANConfig
from ganforge.models.dcgan.discriminator import Discriminator, apply_spectral_norm
from ganforge.models.dcgan.generator import Generator


def _channels(cfg: DCGANConfig) -> dict[int, int]:
    res, out = 4, {}
    while res <= cfg.img_resolution:
        out[res] = cfg.channels(res)
        res *= 2
    return out


def build_generator(cfg: DCGANConfig) -> Generator:
    """The generator of ``cfg``."""
    return Generator(z_dim=cfg.z_dim, c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                     channels=_channels(cfg), block=cfg.block, depth=cfg.depth, init_res=cfg.init_res)


def build_discriminator(cfg: DCGANConfig) -> Discriminator:
    """The discriminator of ``cfg``."""
    return Discriminator(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                         channels=_channels(cfg), block=cfg.block, depth=cfg.depth, norm=cfg.d_norm,
                         spectral_norm=cfg.spectral_norm, init_res=cfg.init_res)


OVERRIDE_KEYS = ("z_dim", "channel_base", "channel_max", "spectral_norm")


def _defaults(name: str):
    def defaults(ctx: FamilyContext, overrides: dict) -> DCGANConfig:
        """The DCGAN-family config for a dataset: channel_base 8192 unless overridden; spectral norm replaces D's
        batch norm."""
        known = {k: v for k, v in overrides.items() if k in OVERRIDE_KEYS and v is not None}
        known.setdefault("channel_base", 8192)
        known["d_norm"] = "none" if known.get("spectral_norm") else "batch"
        return DCGANConfig.from_dict({"name": name, "img_resolution": ctx.resolution, "init_res": ctx.init_res,
                                      "img_channels": ctx.img_channels,
                                      "c_dim": ctx.c_dim, **known})
    return defaults


for _name in BLOCK_OF:
    FAMILIES.register(_name, FamilySpec(DCGANConfig, build_generator, default_d=_name, defaults=_defaults(_name),
                                        override_keys=OVERRIDE_KEYS, default_preset="dcgan",
                                        non_square=True))
    DISCRIMINATORS.register(_name, DiscriminatorSpec(build_discriminator, families=(_name,)))

__all__ = ["DCGANConfig", "Generator", "Discriminator", "apply_spectral_norm", "build_generator", "build_discriminator"]
