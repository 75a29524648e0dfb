"""DCGAN baselines (Radford et al. 2015) with plain, residual or CSP (Wang et al. 2020) blocks: "dcgan",
"dcgan-resnet", "dcgan-csp" in the model registry (they share one config class and differ only in their blocks)."""

from ganforge.models.base import MODELS, ModelSpec
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
                     channels=_channels(cfg), block=cfg.block, depth=cfg.depth)


def build_discriminator(cfg: DCGANConfig) -> Discriminator:
    """The discriminator of ``cfg``."""
    return Discriminator(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                         channels=_channels(cfg), block=cfg.block, depth=cfg.depth, norm=cfg.d_norm,
                         spectral_norm=cfg.spectral_norm)


for _name in BLOCK_OF:
    MODELS.register(_name, ModelSpec(DCGANConfig, build_generator, build_discriminator))

__all__ = ["DCGANConfig", "Generator", "Discriminator", "apply_spectral_norm", "build_generator", "build_discriminator"]
