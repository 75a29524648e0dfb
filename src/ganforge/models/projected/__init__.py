"""The projected discriminator (Sauer et al. 2021), registered as ``--d projected`` for every model family, with hinge
loss by default. Its options (``--d-opt``) are :class:`ProjectedOptions`; docs/projected.md."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ganforge.backbones.efficientnet_lite import (FEATURE_CHANNELS, RANDOM_EFFICIENTNET_LITE0_SHA256,
                                                  load_efficientnet_lite0)
from ganforge.backbones.frozen import FrozenBackbone
from ganforge.backbones.weights import KNOWN_WEIGHTS, resolve_weights
from ganforge.models.base import ANY_FAMILY, DISCRIMINATORS, DiscriminatorSpec
from ganforge.models.projected.discriminator import ProjectedDiscriminator
from ganforge.models.projected.heads import ScaleHead
from ganforge.models.projected.options import ProjectedOptions
from ganforge.models.projected.projection import FeatureProjection


class RandomFeaturesWarning(UserWarning):
    """The projected D runs on seeded random features because no weight file was given."""


RANDOM_FEATURES_NOTE = (
    "projected D: no EfficientNet-lite0 weight file (--d-opt weights=PATH or $GANFORGE_EFFICIENTNET_LITE0), so it "
    f"uses seeded random features (sha256 {RANDOM_EFFICIENTNET_LITE0_SHA256[:12]}...); the paper's fast convergence "
    "comes from pretrained ImageNet features, so expect slower progress with random ones (docs/projected.md)")


def feature_network(options: ProjectedOptions) -> tuple[Any, Path | None]:
    """The feature network named by ``options`` and the file it came from (``None``: seeded random weights)."""
    info = KNOWN_WEIGHTS[options.backbone]
    given = options.weights or os.environ.get(info.env_var) or None
    if given is None:
        if options.sha256 is not None:
            raise ValueError(f"--d-opt sha256 was given without a weight file (--d-opt weights=PATH or ${info.env_var})")
        warnings.warn(RANDOM_FEATURES_NOTE, RandomFeaturesWarning, stacklevel=3)
        return load_efficientnet_lite0(None), None
    path = resolve_weights(options.backbone, given, options.sha256)
    return load_efficientnet_lite0(path), path


def build_discriminator(cfg: Any, options: ProjectedOptions) -> ProjectedDiscriminator:
    """The projected D for a model config (any family: it reads ``img_resolution``, ``img_channels``, ``c_dim`` and
    ``init_res``)."""
    net, path = feature_network(options)
    mixed = tuple(options.mix_channels * 2**i for i in range(len(FEATURE_CHANNELS)))
    name = options.backbone if path is not None else f"random_{options.backbone}"
    projection = FrozenBackbone(FeatureProjection(net, FEATURE_CHANNELS, mixed, options.mixing_seed), name=name,
                                weights_file=path, checkpoint="digest")
    return ProjectedDiscriminator(c_dim=cfg.c_dim, img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                                  projection=projection, backbone_res=options.backbone_res,
                                  head_channels=options.head_channels, cmap_dim=options.cmap_dim,
                                  diffaug=options.diffaug, init_res=tuple(getattr(cfg, "init_res", (4, 4))))


DISCRIMINATORS.register("projected", DiscriminatorSpec(build_discriminator, families=(ANY_FAMILY,), default_loss="hinge",
                                                       options_cls=ProjectedOptions))

__all__ = ["ProjectedDiscriminator", "ProjectedOptions", "FeatureProjection", "ScaleHead", "RandomFeaturesWarning",
           "build_discriminator", "feature_network"]
