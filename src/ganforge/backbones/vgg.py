"""VGG16 for precision/recall (fc2, 4096-d) and LPIPS (five conv stages), loaded from a user-supplied file.

Module names follow torchvision's ``vgg16`` (``features.N.weight``, ``classifier.{0,3,6}.*``) so that
``vgg16-397923af.pth`` loads by name. NVIDIA's TorchScript ``vgg16.pt`` (StyleGAN2-ADA metrics) loads through
``TorchScriptVGG16`` and is run as-is.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.backbones.registry import register_backbone
from ganforge.backbones.weights import read_weights_file
from ganforge.nn.shape import assert_shape

__all__ = ["VGG16", "TorchScriptVGG16", "load_vgg16", "VGG16_CFG", "LPIPS_STAGE_CHANNELS"]

# Conv widths, "M" = 2x2 max pool (VGG "D" configuration).
VGG16_CFG: tuple[int | str, ...] = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
                                    512, 512, 512, "M")
# Indices into ``features`` just after relu1_2, relu2_2, relu3_3, relu4_3, relu5_3 (the LPIPS taps).
LPIPS_TAPS: tuple[int, ...] = (4, 9, 16, 23, 30)
LPIPS_STAGE_CHANNELS: tuple[int, ...] = (64, 128, 256, 512, 512)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG16(nn.Module):
    """VGG16 (torchvision layout) with fc2 features for precision/recall and conv stages for LPIPS.

    Args:
        with_classifier: Build ``classifier`` (fc6/fc7/fc8, ~124M parameters). LPIPS needs only the convs.
        resize: For ``fc2_features``: resize inputs to 224x224 (bilinear, antialiased). ``False`` relies on the
            adaptive 7x7 average pool (tests, or inputs already at 224).
    """

    def __init__(self, with_classifier: bool = True, resize: bool = True) -> None:
        super().__init__()
        self.resize = resize
        layers: list[nn.Module] = []
        in_ch = 3
        for item in VGG16_CFG:
            if item == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_ch, int(item), kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_ch = int(item)
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier: nn.Sequential | None = None
        if with_classifier:
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(inplace=True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(),
                nn.Linear(4096, 1000),
            )
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.eval()

    def stages(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Already-normalised ``[N, 3, H, W]`` -> relu1_2 .. relu5_3 maps (channels 64, 128, 256, 512, 512)."""
        assert_shape(x, [None, 3, None, None], "x")
        out = []
        start = 0
        for stop in LPIPS_TAPS:
            x = self.features[start:stop](x)
            out.append(x)
            start = stop
        return out

    def fc2_features(self, img: torch.Tensor) -> torch.Tensor:
        """uint8 (or float in [0, 255]) ``[N, 3, H, W]`` -> fc2 activations after ReLU ``[N, 4096]``.

        Precision/recall (Kynkäänniemi et al. 2019) use VGG16 fc2 ("fc7") features; ImageNet normalisation.
        """
        assert_shape(img, [None, 3, None, None], "img")
        if self.classifier is None:
            raise ValueError("fc2_features needs VGG16(with_classifier=True)")
        x = img.to(torch.float32) / 255
        if self.resize and tuple(x.shape[2:]) != (224, 224):
            x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)
        x = (x - self.mean) / self.std
        x = torch.flatten(self.avgpool(self.features(x)), 1)  # [N, 25088]
        return self.classifier[:5](x)  # fc6 -> relu -> dropout (eval: identity) -> fc7 -> relu

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        """Alias of ``fc2_features``: uint8 ``[N, 3, H, W]`` -> ``[N, 4096]``."""
        return self.fc2_features(img)


class TorchScriptVGG16(nn.Module):
    """Adapter for NVIDIA's TorchScript ``vgg16.pt``, run as-is by torch's TorchScript interpreter (not pickle).

    ``forward(img)`` returns fc2 features ``[N, 4096]`` (``return_features=True``); ``lpips_features(img)`` returns
    the normalised LPIPS embedding (``return_lpips=True``) whose squared L2 distance NVIDIA's PPL uses.
    """

    def __init__(self, net: torch.jit.ScriptModule) -> None:
        super().__init__()
        self.net = net

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        assert_shape(img, [None, 3, None, None], "img")
        return self.net(img, return_features=True)

    def lpips_features(self, img: torch.Tensor) -> torch.Tensor:
        """Images in [0, 255] ``[N, 3, H, W]`` -> flat LPIPS embedding ``[N, D]``."""
        assert_shape(img, [None, 3, None, None], "img")
        return self.net(img, resize_images=False, return_lpips=True)


def load_vgg16(path: str | Path, map_location: str | torch.device = "cpu", with_classifier: bool = True) -> nn.Module:
    """Load VGG16 weights: a torchvision state dict (``.pth``/``.safetensors``) or NVIDIA's TorchScript ``vgg16.pt``.

    Args:
        path: The file (see ``ganforge.backbones.weights.resolve_weights('vgg16', ...)``).
        map_location: Device for the weights.
        with_classifier: Load the classifier too (needed for ``fc2_features``; LPIPS does not need it).

    Raises:
        ValueError: The state dict does not have the torchvision VGG16 layout.
    """
    state = read_weights_file(path, map_location)
    if isinstance(state, torch.jit.ScriptModule):
        return TorchScriptVGG16(state).eval()
    state = {k.removeprefix("module."): v for k, v in state.items()}
    if not with_classifier:
        state = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    with torch.device("meta"):
        net = VGG16(with_classifier=with_classifier)
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{path} is not a torchvision VGG16 state dict: missing {missing[:5]}, "
                         f"unexpected {unexpected[:5]}")
    net.load_state_dict({k: v.float() for k, v in state.items()}, strict=True, assign=True)
    # Non-persistent buffers stay on meta after assign: rebuild them.
    net.mean = torch.tensor(IMAGENET_MEAN, device=map_location).view(1, 3, 1, 1)
    net.std = torch.tensor(IMAGENET_STD, device=map_location).view(1, 3, 1, 1)
    return net.to(map_location).eval()


@register_backbone("vgg16", weights="vgg16", description="ImageNet VGG16: uint8 -> fc2 [N, 4096]; conv stages for LPIPS")
def _build_vgg16(weights: Path, device: torch.device, with_classifier: bool = True) -> nn.Module:
    return load_vgg16(weights, map_location=device, with_classifier=with_classifier)
