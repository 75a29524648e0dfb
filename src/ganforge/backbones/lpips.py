"""LPIPS v0.1, VGG variant (Zhang et al. 2018, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric").

distance(x0, x1) = sum over the five VGG16 stages l of mean_{h,w} w_l . (f0_l - f1_l)^2, where f_l are the stage
activations unit-normalised over channels and w_l >= 0 are the learned linear heads. The heads are the BSD-2 file
``lpips/weights/v0.1/vgg.pth`` (keys ``lin0.model.1.weight`` .. ``lin4.model.1.weight``, shape ``[1, C, 1, 1]``);
the backbone is torchvision's ImageNet VGG16 convs (``vgg16-397923af.pth``). Both are user-supplied files.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ganforge.backbones.registry import register_backbone
from ganforge.backbones.vgg import LPIPS_STAGE_CHANNELS, VGG16, load_vgg16
from ganforge.backbones.weights import resolve_weights
from ganforge.nn.shape import assert_shape

__all__ = ["LPIPS", "load_lpips"]

# LPIPS' ScalingLayer: maps [-1, 1] inputs to ImageNet-normalised ones.
_SHIFT = (-0.030, -0.088, -0.188)
_SCALE = (0.458, 0.448, 0.450)


class _LinHead(nn.Module):
    """1x1 conv to one channel, named ``model.1`` as in the official heads (``model.0`` is a dropout)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, kernel_size=1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class LPIPS(nn.Module):
    """LPIPS-VGG distance between two image batches in [-1, 1].

    Args:
        vgg: A ``VGG16`` (the classifier is not used; ``with_classifier=False`` saves ~500 MB).
    """

    def __init__(self, vgg: VGG16) -> None:
        super().__init__()
        self.vgg = vgg
        for k, channels in enumerate(LPIPS_STAGE_CHANNELS):
            self.add_module(f"lin{k}", _LinHead(channels))
        self.register_buffer("shift", torch.tensor(_SHIFT).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("scale", torch.tensor(_SCALE).view(1, 3, 1, 1), persistent=False)
        self.eval()

    def heads_state_dict(self) -> dict[str, torch.Tensor]:
        """The linear heads under the official key names (``lin{k}.model.1.weight``)."""
        return {k: v for k, v in self.state_dict().items() if k.startswith("lin")}

    def forward(self, img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        """Per-pair distance.

        Args:
            img0: Images ``[N, 3, H, W]`` in [-1, 1] (H, W >= 16).
            img1: Images ``[N, 3, H, W]`` in [-1, 1].

        Returns:
            ``[N]`` distances (0 for identical images).
        """
        assert_shape(img0, [None, 3, None, None], "img0")
        assert_shape(img1, list(img0.shape), "img1")
        x = (torch.cat([img0, img1]) - self.shift) / self.scale  # one backbone pass for both
        n = img0.shape[0]
        total = img0.new_zeros(n)
        for k, feat in enumerate(self.vgg.stages(x)):
            feat = feat / (feat.pow(2).sum(dim=1, keepdim=True).sqrt() + 1e-10)  # unit norm over channels
            diff = (feat[:n] - feat[n:]).pow(2)  # [N, C, h, w]
            total = total + getattr(self, f"lin{k}")(diff).mean(dim=(1, 2, 3))
        return total


def load_lpips(vgg_path: str | Path, heads_path: str | Path, map_location: str | torch.device = "cpu") -> LPIPS:
    """Build LPIPS from a VGG16 state dict and the official v0.1 heads file.

    Args:
        vgg_path: torchvision VGG16 weights (``resolve_weights('vgg16', ...)``); the classifier is ignored.
        heads_path: ``vgg.pth`` with ``lin0.model.1.weight`` .. ``lin4.model.1.weight`` (``resolve_weights('lpips')``).
        map_location: Device.

    Raises:
        ValueError: Either file has the wrong layout.
    """
    vgg = load_vgg16(vgg_path, map_location=map_location, with_classifier=False)
    if not isinstance(vgg, VGG16):
        raise ValueError("LPIPS needs a VGG16 state dict, not a TorchScript file (use TorchScriptVGG16.lpips_features)")
    net = LPIPS(vgg).to(map_location)
    heads = torch.load(heads_path, map_location=map_location, weights_only=True)
    heads = {k.removeprefix("module."): v for k, v in heads.items()}
    expected = net.heads_state_dict()
    if set(heads) != set(expected) or any(heads[k].shape != expected[k].shape for k in expected):
        raise ValueError(f"{heads_path} is not an LPIPS v0.1 VGG heads file: keys {sorted(heads)[:6]}")
    net.load_state_dict(heads, strict=False)
    return net.eval()


@register_backbone("lpips", weights="lpips", description="LPIPS-VGG v0.1: two [-1, 1] image batches -> [N] distances")
def _build_lpips(weights: Path, device: torch.device, vgg16: str | Path | None = None) -> nn.Module:
    """``weights`` are the linear heads; ``vgg16`` the torchvision VGG16 file (else ``$GANFORGE_VGG16``)."""
    return load_lpips(resolve_weights("vgg16", vgg16), weights, map_location=device)
