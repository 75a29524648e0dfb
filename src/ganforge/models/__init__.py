"""Model families, registered by name (``list_models()``); importing this registers them all."""

from ganforge.models.base import (
    MODELS,
    ModelSpec,
    build_discriminator,
    build_generator,
    list_models,
    model_config,
    model_config_from_dict,
)
from ganforge.models import stylegan2  # noqa: F401  (registers "stylegan2")
from ganforge.models import dcgan  # noqa: F401  (registers "dcgan", "dcgan-resnet", "dcgan-csp")

__all__ = ["MODELS", "ModelSpec", "build_generator", "build_discriminator", "list_models", "model_config",
           "model_config_from_dict"]
