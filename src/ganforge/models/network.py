"""What every generator and discriminator declares about itself: its capabilities and the parameters that train.

Code that treats networks generically (the objective, the loop, inference, exploration, export) asks these
declarations instead of sniffing attributes with ``hasattr``; a new family states them once in its classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.backbones.frozen import frozen_parameter_ids


@dataclass(frozen=True)
class GeneratorCaps:
    """What a generator can do beyond ``G(z, c) -> img``."""

    has_mapping: bool = False
    """``G.mapping(z, c, truncation_psi=1, truncation_cutoff=None) -> ws [N, num_ws, w_dim]`` and
    ``G.synthesis(ws, noise_mode=...) -> img`` exist (StyleGAN-like: W space, style mixing, path length)."""
    has_noise: bool = False
    """Per-layer noise inputs (``noise_mode`` const | random | none)."""
    has_w_avg: bool = False
    has_input_transform: bool = False
    """``G.set_transform(translate, rotate_deg)`` moves and rotates what ``G.synthesis`` draws, continuously (StyleGAN3's
    Fourier input): ``--translate`` / ``--rotate`` and the equivariance metrics use it."""
    """``G.mapping.w_avg`` is tracked during training (truncation centre)."""
    num_ws: int = 0
    """Number of style vectors (0 without a mapping network)."""
    w_dim: int = 0
    """Width of w (0 without a mapping network)."""


class Network(torch.nn.Module):
    """Base class of every G and D: :meth:`trainable_parameters` is what optimisers see."""

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        """The parameters that training updates, in ``parameters()`` order: all of them except those of a
        :class:`~ganforge.backbones.FrozenBackbone` submodule (a pretrained feature network inside D)."""
        frozen = frozen_parameter_ids(self)
        return [p for p in self.parameters() if id(p) not in frozen]


class DiscriminatorNetwork(Network):
    """Base class of every discriminator: ``forward(img, c) -> logits [N, 1]``, and optionally :meth:`feature_maps`."""

    def feature_maps(self, img: torch.Tensor) -> list[torch.Tensor]:
        """Activations after each downsampling block, finest first (a perceptual distance for projection uses them);
        ``[]`` for a discriminator that exposes none."""
        return []

    @property
    def has_feature_maps(self) -> bool:
        return type(self).feature_maps is not DiscriminatorNetwork.feature_maps


class GeneratorNetwork(Network):
    """Base class of every generator: ``forward(z, c, ...) -> img`` plus declared :attr:`capabilities`."""

    z_dim: int
    c_dim: int
    img_resolution: int
    img_channels: int
    init_res: tuple[int, int] = (4, 4)
    """``(height, width)`` of the first block: ``(4, 4)`` for square images (see :attr:`img_shape`)."""

    @property
    def img_shape(self) -> tuple[int, int]:
        """``(height, width)`` of the images: ``img_resolution`` is the longer side."""
        return self.img_resolution * self.init_res[0] // 4, self.img_resolution * self.init_res[1] // 4

    @property
    def capabilities(self) -> GeneratorCaps:
        return GeneratorCaps()

    def style_weights(self) -> list[tuple[int, torch.Tensor]]:
        """The affine maps from w to the styles that modulate the feature maps: ``(ws index, weight [S, w_dim])``
        each, with the weight as applied (equalized-lr gain included). ``[]`` for a generator without styles.

        Closed-form direction finding (SeFa, :mod:`ganforge.explore.directions`) reads them.
        """
        return []


def generator_caps(G: torch.nn.Module) -> GeneratorCaps:
    """``G.capabilities``; a generator that declares nothing (any callable ``G(z, c) -> img``) has none of them."""
    if not isinstance(G, GeneratorNetwork):
        return GeneratorCaps()
    return G.capabilities


def require_mapping(G: torch.nn.Module, what: str) -> GeneratorCaps:
    """``generator_caps(G)`` when G declares a mapping network (W space, ``G.mapping`` / ``G.synthesis``).

    Raises:
        ValueError: ``"{what} needs a generator with a mapping network; the dcgan Generator has none"``.
    """
    caps = generator_caps(G)
    if not caps.has_mapping:
        parts = type(G).__module__.split(".")
        family = parts[2] if parts[:2] == ["ganforge", "models"] and len(parts) > 2 else type(G).__module__
        raise ValueError(f"{what} needs a generator with a mapping network; the {family} {type(G).__name__} has none")
    return caps


def map_and_synthesize(G: torch.nn.Module, z: torch.Tensor, c: torch.Tensor | None, *, truncation_psi: float,
                       truncation_cutoff: int | None, update_emas: bool, **synthesis_kwargs) -> torch.Tensor:
    """``G.synthesis(G.mapping(z, c, ...), **synthesis_kwargs)`` with the checks of every style-based generator
    (StyleGAN1/2/3): ``z: [N, z_dim]``, and no labels for an unconditional one."""
    from ganforge.nn.shape import assert_shape

    assert_shape(z, [None, G.z_dim], "z")
    if G.c_dim == 0 and c is not None and c.numel() > 0:
        raise ValueError(f"c must be None or empty for an unconditional generator, got shape {list(c.shape)}")
    ws = G.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff, update_emas=update_emas)
    return G.synthesis(ws, **synthesis_kwargs)
