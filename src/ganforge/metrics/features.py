"""Feature networks as the metric runner sees them: a name, a network, and an identity recorded in every result.

``open_feature_net('inception' | 'random_inception' | 'vgg16', weights=...)`` returns a :class:`FeatureNet`
that maps uint8 RGB images ``[N, 3, H, W]`` to float32 features on the CPU. The networks are backbones
(``ganforge.backbones.build_backbone``: weight file located and sha256-checked, frozen). Its ``identity`` (network,
weight-file sha256, input recipe) goes into the real-statistics cache key and into the protocol of every result, so
numbers from different weights can never be mixed up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

from ganforge.backbones import build_backbone, sha256_file

FEATURE_NETS = ("inception", "random_inception", "vgg16")


@dataclass
class FeatureNet:
    """A feature network ready for the metric runner.

    Attributes:
        name: ``inception``, ``random_inception`` or ``vgg16``.
        net: The module; called with uint8 ``[N, 3, H, W]`` on ``device``.
        identity: JSON-able description (network, weights sha256, resize recipe).
        device: Where ``net`` runs.
        has_logits: ``net(img, return_logits=True)`` also returns classifier logits (Inception Score).
    """

    name: str
    net: torch.nn.Module
    identity: dict
    device: torch.device
    has_logits: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @torch.no_grad()
    def __call__(self, images: torch.Tensor, return_logits: bool = False):
        """uint8 ``[N, C, H, W]`` (C = 1 or 3) -> float32 features ``[N, D]`` on CPU (and logits ``[N, K]``)."""
        if images.dtype != torch.uint8:
            raise ValueError(f"feature networks take uint8 images, got {images.dtype}")
        if images.shape[1] == 1:
            images = images.repeat(1, 3, 1, 1)
        images = images.to(self.device)
        if return_logits:
            if not self.has_logits:
                raise ValueError(f"the {self.name} network has no classifier (the Inception Score needs one)")
            feats, logits = self.net(images, return_logits=True)
            return feats.float().cpu(), logits.float().cpu()
        return self.net(images).float().cpu()


def _inception(weights: str | Path | None, device: torch.device) -> FeatureNet:
    from ganforge.backbones.inception import TorchScriptInception

    net = build_backbone("inception", weights, device=device)
    path = net.weights_file
    torchscript = isinstance(net.net, TorchScriptInception)
    identity = {"network": "inception-v3-fid", "weights": path.name, "weights_sha256": sha256_file(path),
                "format": "torchscript" if torchscript else "state_dict", "resize": "tf1-bilinear-299"}
    has_logits = torchscript or bool(getattr(net.net, "has_classifier", False))
    return FeatureNet("inception", net, identity, device, has_logits=has_logits)


def _random_inception(weights: str | Path | None, device: torch.device) -> FeatureNet:
    from ganforge.backbones.random_inception import RANDOM_INCEPTION_SEED, RANDOM_INCEPTION_SHA256

    if weights is not None:
        raise ValueError("the random Inception (rfid/rkid) is generated from a seed and takes no weight file")
    net = build_backbone("random_inception", device=device)
    identity = {"network": "random-inception-v3", "seed": RANDOM_INCEPTION_SEED,
                "weights_sha256": RANDOM_INCEPTION_SHA256, "resize": "tf1-bilinear-299"}
    return FeatureNet("random_inception", net, identity, device)


def _vgg16(weights: str | Path | None, device: torch.device) -> FeatureNet:
    net = build_backbone("vgg16", weights, device=device)
    path = net.weights_file
    identity = {"network": "vgg16-fc2", "weights": path.name, "weights_sha256": sha256_file(path),
                "resize": "bilinear-antialias-224"}
    return FeatureNet("vgg16", net, identity, device)


_OPENERS: dict[str, Callable[[str | Path | None, torch.device], FeatureNet]] = {
    "inception": _inception, "random_inception": _random_inception, "vgg16": _vgg16,
}


def open_feature_net(name: str, weights: str | Path | None = None, device: torch.device | str = "cpu") -> FeatureNet:
    """The feature network ``name`` (weights from ``weights`` or its environment variable, sha256-checked)."""
    if name not in _OPENERS:
        raise ValueError(f"unknown feature network {name!r}; known: {', '.join(FEATURE_NETS)}")
    return _OPENERS[name](weights, torch.device(device))
