"""The model registry: each model family registers its config class and G/D builders by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch

from ganforge.config import Config
from ganforge.registry import Registry


@dataclass(frozen=True)
class ModelSpec:
    """What the registry knows about a model family."""

    config_cls: type[Config]
    build_generator: Callable[[Any], torch.nn.Module]
    build_discriminator: Callable[[Any], torch.nn.Module]


MODELS: Registry[ModelSpec] = Registry("model")


def _spec_for(cfg: Config) -> ModelSpec:
    name = getattr(cfg, "name", None)
    spec = MODELS.get(name)
    if not isinstance(cfg, spec.config_cls):
        raise ValueError(f"config of type {type(cfg).__name__} does not belong to model {name!r}")
    return spec


def list_models() -> list[str]:
    """Names of the registered model families."""
    return MODELS.names()


def model_config(name: str, **overrides: Any) -> Config:
    """Default config of model ``name`` with ``overrides`` (type-checked)."""
    return MODELS.get(name).config_cls.from_dict({"name": name, **overrides})


def model_config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a model config from its JSON dict (dispatching on ``data['name']``)."""
    if not isinstance(data, dict) or "name" not in data:
        raise ValueError("a model config needs a 'name' key naming the model family")
    return MODELS.get(data["name"]).config_cls.from_dict(data)


def build_generator(cfg: Config) -> torch.nn.Module:
    """Construct the generator described by a registered model config."""
    return _spec_for(cfg).build_generator(cfg)


def build_discriminator(cfg: Config) -> torch.nn.Module:
    """Construct the discriminator described by a registered model config."""
    return _spec_for(cfg).build_discriminator(cfg)
