"""A pretrained feature network that never trains, wherever it is used (a metric, a projector, inside a D).

:class:`FrozenBackbone` wraps the network: it is in eval mode whatever ``train()`` asks (BatchNorm statistics and
dropout stay those of the pretrained network), its parameters never require gradients, and
:func:`frozen_parameter_ids` lets ``Network.trainable_parameters()`` leave them out of every optimiser. Gradients
still flow *through* it to its inputs, which is what a discriminator built on a feature network needs
(ProjectedGAN, Sauer et al. 2021; StyleGAN-XL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import torch
from torch import nn

from ganforge.backbones.weights import state_dict_sha256

__all__ = ["FrozenBackbone", "frozen_parameter_ids"]


class FrozenBackbone(nn.Module):
    """Wrap a pretrained network so that it stays frozen.

    ``forward`` calls the wrapped network with the same arguments; its other methods are reached through
    :attr:`net` (``backbone.net.stages(x)``). A parent's ``D.train()`` leaves it in eval mode, and a parent's
    ``D.requires_grad_(True)`` (which sets every parameter directly) is undone at the next forward, so that no
    backward pass ever fills its ``.grad``.

    With ``checkpoint="digest"`` its weights stay out of the parent's ``state_dict()`` (a checkpoint need not carry
    megabytes of weights that never change): it contributes one tensor ``<prefix>weights_sha256`` (the 32 bytes of
    :func:`~ganforge.backbones.weights.state_dict_sha256` of its weights), and loading a state dict checks that digest
    against its own weights (``ValueError`` when they differ) instead of reading weights.

    Args:
        net: The pretrained network (weights already loaded).
        name: The registered backbone name (``ganforge.backbones.list_backbones()``), for messages.
        weights_file: The weight file it was loaded from (``None`` for generated weights).
        checkpoint: ``"weights"``: its state dict holds the weights (default); ``"digest"``: only their sha256.
    """

    def __init__(self, net: nn.Module, name: str = "", weights_file: Path | None = None,
                 checkpoint: Literal["weights", "digest"] = "weights") -> None:
        super().__init__()
        self.net = net
        self.name = name
        self.weights_file = weights_file
        self._freeze()
        self.train(False)
        if checkpoint not in ("weights", "digest"):
            raise ValueError(f"checkpoint must be 'weights' or 'digest', got {checkpoint!r}")
        self.checkpoint = checkpoint
        if checkpoint == "digest":
            self.weights_sha256 = state_dict_sha256(net.state_dict())
            self._register_state_dict_hook(_digest_instead_of_weights)
            self._register_load_state_dict_pre_hook(_check_digest, with_module=True)

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


def _digest_instead_of_weights(module: FrozenBackbone, state: dict, prefix: str, local_metadata) -> None:
    for key in [k for k in state if k.startswith(prefix + "net.")]:
        del state[key]
    state[prefix + "weights_sha256"] = torch.frombuffer(bytearray.fromhex(module.weights_sha256), dtype=torch.uint8)


def _check_digest(module: FrozenBackbone, state: dict, prefix: str, local_metadata, strict, missing_keys,
                  unexpected_keys, error_msgs) -> None:
    """Replace a stored digest by this module's own weights once the digest matches them."""
    key = prefix + "weights_sha256"
    if key not in state:
        return  # a state dict with the weights themselves (checkpoint="weights" or older files) loads as usual
    stored = bytes(state.pop(key).to(torch.uint8).cpu().tolist()).hex()
    if stored != module.weights_sha256:
        source = str(module.weights_file) if module.weights_file else "generated (seeded random) weights"
        raise ValueError(f"the {module.name or 'frozen'} backbone weights differ from those the state dict was trained "
                         f"with (sha256 {stored[:16]}..., here {module.weights_sha256[:16]}... from {source}); "
                         "give the same weight file")
    for name, value in module.net.state_dict().items():
        state[prefix + "net." + name] = value


def frozen_parameter_ids(module: nn.Module) -> set[int]:
    """``id()`` of every parameter that belongs to a :class:`FrozenBackbone` inside ``module`` (or is ``module``)."""
    return {id(p) for m in module.modules() if isinstance(m, FrozenBackbone) for p in m.parameters()}
