"""Model families, registered by name (``list_models()``); importing this registers them all."""

from ganforge.models.base import (
    DISCRIMINATORS,
    FAMILIES,
    MODELS,
    ModelSpec,
    DiscriminatorSpec,
    ModelSection,
    FamilyContext,
    FamilySpec,
    build_discriminator,
    check_discriminator,
    get_family,
    list_discriminators,
    build_generator,
    list_models,
    model_config,
    model_config_from_dict,
)
from ganforge.models import stylegan2  # noqa: F401  (registers "stylegan2")
from ganforge.models import dcgan  # noqa: F401  (registers "dcgan", "dcgan-resnet", "dcgan-csp")
from ganforge.models import r3gan  # noqa: F401  (registers "r3gan")
from ganforge.models import progan  # noqa: F401  (registers "progan")
from ganforge.models import stylegan1  # noqa: F401  (registers "stylegan1")
from ganforge.models import stylegan3  # noqa: F401  (registers "stylegan3")
from ganforge.models import fastgan  # noqa: F401  (registers "fastgan")
from ganforge.models import projected  # noqa: F401  (registers the "projected" discriminator, for every family)

__all__ = ["FAMILIES", "DISCRIMINATORS", "MODELS", "ModelSpec", "FamilySpec", "FamilyContext", "DiscriminatorSpec", "ModelSection",
           "build_generator", "build_discriminator", "check_discriminator", "get_family", "list_models",
           "list_discriminators", "model_config", "model_config_from_dict"]
