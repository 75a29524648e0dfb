"""The family contract: a model family registers its config class, a G builder, a default discriminator and a
``defaults`` function; discriminators are their own registry axis (``--d``), each naming the families it fits.

Adding a family is a registration (docs/architecture.md)::

    FAMILIES.register("mygan", FamilySpec(MyConfig, build_generator, default_d="mygan", defaults=my_defaults))
    DISCRIMINATORS.register("mygan", DiscriminatorSpec(build_discriminator, families=("mygan",)))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from ganforge.config import Config
from ganforge.registry import Registry


@dataclass(frozen=True)
class FamilyContext:
    """What a family's ``defaults`` may use: the dataset's shape and the run's batch split."""

    resolution: int
    img_channels: int
    c_dim: int
    """Label width the model gets (0 when the run is unconditional)."""
    batch_gpu: int
    init_res: tuple[int, int] = (4, 4)
    """``(height, width)`` of the first block: (4, 4) for square images (``models.checks.init_res_for``)."""


@dataclass(frozen=True)
class FamilySpec:
    """What the registry knows about a model family."""

    config_cls: type[Config]
    build_generator: Callable[[Any], torch.nn.Module]
    default_d: str
    """The discriminator (``DISCRIMINATORS`` name) this family trains with unless ``--d`` names another."""
    defaults: Callable[[FamilyContext, dict[str, Any]], Config]
    """``defaults(ctx, overrides) -> config``: the family config for a dataset, with ``overrides`` (from flags and the
    preset's model hints) applied to the fields it has; hints it has no field for are ignored."""
    override_keys: tuple[str, ...] = ()
    """The override names this family understands; a flag setting any other one is refused."""
    default_preset: str = "auto"
    """The preset ``--cfg auto`` means for this family."""
    default_regs: tuple[tuple[str, float, int], ...] = ()
    """Regularisers the family trains with unless told otherwise, as ``(name, weight, interval)`` (StyleGAN2: path
    length 2 every 4 minibatches)."""
    schedule_targets: tuple[str, ...] = ()
    """Hyper-parameters of the family that can follow a schedule (beyond the generic ones)."""
    grows: bool = False
    """The family's config has ``growing``; with it set, G and the default D grow stage by stage
    (``models.growing.Growable``) along the run's ``growth`` schedule (``--growing``)."""
    non_square: bool = False
    """The family's config has ``init_res`` (the first block's ``(height, width)``) and trains non-square images."""


ANY_FAMILY = "*"
"""``DiscriminatorSpec(families=(ANY_FAMILY,))``: a D that needs only ``img_resolution``, ``img_channels`` and ``c_dim``
of the model config and so pairs with every family, present and future (the projected D)."""


@dataclass(frozen=True)
class DiscriminatorSpec:
    """A registered discriminator: ``build(model_config) -> D`` for the families listed in ``families``
    (``build(model_config, options) -> D`` when it has an ``options_cls``)."""

    build: Callable[..., torch.nn.Module]
    families: tuple[str, ...]
    default_loss: str | None = None
    """The adversarial loss (``ADVERSARIAL_LOSSES`` name) a run with this D uses unless ``--loss`` or the preset names
    one (the projected D: ``hinge``); ``None`` = the generic default, ``nonsaturating``."""
    options_cls: type[Config] | None = None
    """Typed options of this D (``--d-opt KEY=VALUE``, ``model.d_options`` in config.json); ``None``: it takes none."""

    def fits(self, family: str) -> bool:
        """Whether it pairs with ``family``: listed in :attr:`families`, or :data:`ANY_FAMILY` is."""
        return ANY_FAMILY in self.families or family in self.families

    def parse_options(self, options: dict[str, Any] | None) -> Config | None:
        """``options`` as an :attr:`options_cls` instance (``None`` for a D without options); ``ValueError`` for
        unknown keys, ill-typed values, or any option given to a D that takes none."""
        if self.options_cls is None:
            if options:
                raise ValueError(f"this discriminator takes no options (got --d-opt {', '.join(sorted(options))})")
            return None
        return self.options_cls.from_dict(dict(options or {}))

    def make(self, cfg: Any, options: dict[str, Any] | None = None) -> torch.nn.Module:
        """The D for model config ``cfg`` with ``options`` (checked by :meth:`parse_options`)."""
        parsed = self.parse_options(options)
        return self.build(cfg) if parsed is None else self.build(cfg, parsed)


FAMILIES: Registry[FamilySpec] = Registry("model family")
DISCRIMINATORS: Registry[DiscriminatorSpec] = Registry("discriminator")
MODELS = FAMILIES
"""The earlier name of :data:`FAMILIES`."""
ModelSpec = FamilySpec
"""The earlier name of :class:`FamilySpec`."""


@dataclass(frozen=True)
class ModelSection(Config):
    """The model of a training run: the family, its typed config, and the discriminator it trains with."""

    family: str = "stylegan2"
    """Model family by registered name (``--model``)."""
    arch: Any = None
    """The family's typed config (a dict in JSON); ``None`` = built by the family's ``defaults`` from the dataset."""
    d: str | None = None
    """Discriminator by registered name (``--d``); ``None`` = the family's default."""
    overrides: dict[str, Any] = field(default_factory=dict)
    """Family config fields set by flags (``--cbase``, ``--cmax``, ``--map``, ``--sn``, ...) before ``arch`` is built."""
    d_options: dict[str, Any] = field(default_factory=dict)
    """Options of the discriminator (``--d-opt KEY=VALUE``), checked against its ``DiscriminatorSpec.options_cls``."""

    def __post_init__(self) -> None:
        if isinstance(self.arch, dict):
            object.__setattr__(self, "arch", model_config_from_dict(self.arch))
        elif self.arch is not None and not isinstance(self.arch, Config):
            raise ValueError(f"model.arch must be a model config or a dict, got {type(self.arch).__name__}")
        if self.arch is not None and self.arch.name != self.family:
            object.__setattr__(self, "family", self.arch.name)

    def __getattr__(self, name: str) -> Any:
        """The family config's fields (``cfg.model.c_dim``) once ``arch`` is set."""
        arch = self.__dict__.get("arch")
        if name.startswith("__") or arch is None:
            raise AttributeError(f"model section has no {name!r} (and no model config yet)")
        return getattr(arch, name)


def _spec_for(cfg: Config) -> FamilySpec:
    name = getattr(cfg, "name", None)
    spec = FAMILIES.get(name)
    if not isinstance(cfg, spec.config_cls):
        raise ValueError(f"config of type {type(cfg).__name__} does not belong to model {name!r}")
    return spec


def list_models() -> list[str]:
    """Names of the registered model families."""
    return FAMILIES.names()


def list_discriminators(family: str | None = None) -> list[str]:
    """Names of the registered discriminators (those that fit ``family`` when given)."""
    return [n for n in DISCRIMINATORS.names() if family is None or DISCRIMINATORS.get(n).fits(family)]


def get_family(name: str) -> FamilySpec:
    """The family registered as ``name`` (``ValueError`` listing the valid names otherwise)."""
    return FAMILIES.get(name)


def check_discriminator(family: str, d: str | None) -> str:
    """The discriminator a run of ``family`` uses (``d`` or the family's default); ``ValueError`` listing the
    discriminators that fit when ``d`` is unknown or does not fit."""
    name = d or FAMILIES.get(family).default_d
    fitting = list_discriminators(family)
    if name not in DISCRIMINATORS:
        raise ValueError(f"unknown discriminator {name!r}; valid for {family}: {', '.join(fitting)}")
    if not DISCRIMINATORS.get(name).fits(family):
        raise ValueError(f"discriminator {name!r} does not fit model family {family!r}; valid: {', '.join(fitting)}")
    return name


def model_config(name: str, **overrides: Any) -> Config:
    """Default config of model ``name`` with ``overrides`` (type-checked)."""
    return FAMILIES.get(name).config_cls.from_dict({"name": name, **overrides})


def model_config_from_dict(data: dict[str, Any]) -> Config:
    """Rebuild a model config from its JSON dict (dispatching on ``data['name']``)."""
    if not isinstance(data, dict) or "name" not in data:
        raise ValueError("a model config needs a 'name' key naming the model family")
    return FAMILIES.get(data["name"]).config_cls.from_dict(data)


def build_generator(cfg: Config) -> torch.nn.Module:
    """Construct the generator described by a registered model config (or a resolved :class:`ModelSection`)."""
    if isinstance(cfg, ModelSection):
        cfg = cfg.arch
    return _spec_for(cfg).build_generator(cfg)


def build_discriminator(cfg: Config, name: str | None = None, options: dict[str, Any] | None = None) -> torch.nn.Module:
    """Construct discriminator ``name`` (default: the family's) with ``options`` for the model config ``cfg``; a
    resolved :class:`ModelSection` brings its own ``d`` and ``d_options``."""
    if isinstance(cfg, ModelSection):
        cfg, name, options = cfg.arch, name or cfg.d, options if options is not None else cfg.d_options
    family = getattr(cfg, "name", None)
    _spec_for(cfg)
    return DISCRIMINATORS.get(check_discriminator(family, name)).make(cfg, options)
