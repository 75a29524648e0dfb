"""Backbones by name: ``build_backbone('inception', weights=path, device=...)`` -> a :class:`FrozenBackbone`.

A backbone is a pretrained feature network that ganforge uses but never trains (metric feature extractors,
perceptual distances, the feature network inside a projected discriminator). Each registers a builder under a
stable name; the builder receives its weight file already located and sha256-checked
(``ganforge.backbones.weights``), so a backbone file only says how to read its weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ganforge.backbones.frozen import FrozenBackbone
from ganforge.backbones.weights import KNOWN_WEIGHTS, resolve_weights
from ganforge.registry import Registry

__all__ = ["BackboneSpec", "BACKBONES", "register_backbone", "list_backbones", "build_backbone"]

BuildFn = Callable[..., nn.Module]


@dataclass(frozen=True)
class BackboneSpec:
    """A registered backbone."""

    build: BuildFn
    """``build(weights: Path | None, device: torch.device, **options) -> nn.Module`` with weights loaded; the path is
    already checked (``None`` exactly when :attr:`weights` is ``None``)."""
    weights: str | None = None
    """Key of ``KNOWN_WEIGHTS`` naming the file it needs; ``None``: it needs no file (e.g. generated weights)."""
    description: str = ""
    """One line for listings: what goes in and what comes out."""


BACKBONES: Registry[BackboneSpec] = Registry("backbone")


def register_backbone(name: str, *, weights: str | None = None, description: str = "") -> Callable[[BuildFn], BuildFn]:
    """Decorator: register ``build`` as backbone ``name`` (``weights``: its ``KNOWN_WEIGHTS`` key, if any)."""
    if weights is not None and weights not in KNOWN_WEIGHTS:
        raise ValueError(f"backbone {name!r}: unknown weights {weights!r}; known: {sorted(KNOWN_WEIGHTS)}")

    def add(build: BuildFn) -> BuildFn:
        BACKBONES.register(name, BackboneSpec(build, weights, description))
        return build

    return add


def list_backbones() -> list[str]:
    """Names of the registered backbones, sorted."""
    return BACKBONES.names()


def build_backbone(name: str, weights: str | Path | None = None, *, sha256: str | None = None,
                   device: torch.device | str = "cpu", **options) -> FrozenBackbone:
    """The backbone ``name`` with its weights, frozen, on ``device``.

    Args:
        name: A registered name (:func:`list_backbones`).
        weights: Its weight file; ``None`` = the file's environment variable (``KNOWN_WEIGHTS[...].env_var``).
            Nothing is ever downloaded.
        sha256: Expected digest of the file (full or >= 8 hex digits); known torch-hub style filenames are checked
            against the prefix in their name without it.
        device: Where the weights live.
        **options: Builder-specific options (``with_classifier`` for ``vgg16``, ``seed`` for ``random_inception``,
            ``vgg16`` (path) for ``lpips``).

    Raises:
        ValueError: Unknown name (listing the valid ones), a weight file that is missing or fails its sha256 check
            (naming the file), or a weight file given to a backbone that takes none.
    """
    spec = BACKBONES.get(name)
    device = torch.device(device)
    if spec.weights is None:
        if weights is not None or sha256 is not None:
            raise ValueError(f"the {name!r} backbone takes no weight file (its weights are generated)")
        path = None
    else:
        path = resolve_weights(spec.weights, weights, sha256)
    net = spec.build(path, device, **options)
    return FrozenBackbone(net, name=name, weights_file=path).to(device)
