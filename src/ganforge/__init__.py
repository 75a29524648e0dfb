"""ganforge: train, evaluate and explore GANs, with StyleGAN2 at the heart (pure PyTorch)."""

from ganforge.config import Config
from ganforge.models import (
    build_discriminator,
    build_generator,
    list_models,
    model_config,
    model_config_from_dict,
)
from ganforge.models.stylegan2 import Discriminator, Generator, StyleGAN2Config
from ganforge.registry import Registry
from ganforge.version import __version__

__all__ = [
    "__version__", "Config", "Registry", "StyleGAN2Config", "Generator", "Discriminator",
    "build_generator", "build_discriminator", "list_models", "model_config", "model_config_from_dict",
]
