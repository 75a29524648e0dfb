"""A pretrained feature network that never trains, wherever it is used (a metric, a projector, inside a D).

:class:`FrozenBackbone` wraps the network: it is in eval mode whatever ``train()`` asks (BatchNorm statistics and
dropout stay those of the pretrained network), its parameters never require gradients, and
:func:`frozen_parameter_ids` lets ``Network.trainable_parameters()`` leave them out of every optimiser. Gradients
still flow *through* it to its inputs, which is what a discriminator built on a feature network needs
(ProjectedGAN, Sauer et al. 2021; StyleGAN-XL).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

__all__ = ["FrozenBackbone", "frozen_parameter_ids"]


class FrozenBackbone(nn.Module):
    """Wrap a pretrained network so that it stays frozen.

    ``forward`` calls the wrapped network with the same arguments; its other methods are reached through
    :attr:`net` (``backbone.net.stages(x)``). A parent's ``D.train()`` leaves it in eval mode, and a parent's
    ``D.requires_grad_(True)`` (which sets every parameter directly) is undone at the next forward, so that no
    backward pass ever fills its ``.grad``.

    Args:
        net: The pretrained network (weights already loaded).
        name: The registered backbone name (``ganforge.backbones.list_backbones()``), for messages.
        weights_file: The weight file it was loaded from (``None`` for generated weights).
    """

    def __init__(self, net: nn.Module, name: str = "", weights_file: Path | None = None) -> None:
        super().__init__()
        self.net = net
        self.name = name
        self.weights_file = weights_file
        self._freeze()
        self.train(False)

    def _freeze(self) -> None:
        for p in self.net.parameters():
            if p.requires_grad:
                p.requires_grad_(False)

    def train(self, mode: bool = True) -> "FrozenBackbone":
        """Always eval mode: ``mode`` is ignored (the pretrained statistics must not drift)."""
        return super().train(False)

    def requires_grad_(self, requires_grad: bool = True) -> "FrozenBackbone":
        """Parameters never require gradients: ``requires_grad`` is ignored."""
        self._freeze()
        return self

    def forward(self, *args, **kwargs):
        """The wrapped network's forward (gradients flow to the inputs, never to its parameters)."""
        self._freeze()
        return self.net(*args, **kwargs)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, weights_file={str(self.weights_file) if self.weights_file else None!r}"


def frozen_parameter_ids(module: nn.Module) -> set[int]:
    """``id()`` of every parameter that belongs to a :class:`FrozenBackbone` inside ``module`` (or is ``module``)."""
    return {id(p) for m in module.modules() if isinstance(m, FrozenBackbone) for p in m.parameters()}
