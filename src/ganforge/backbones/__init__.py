"""Frozen pretrained feature networks by name (``build_backbone``, ``list_backbones``); re-exports only.

Importing the package registers the built-in backbones (``inception``, ``random_inception``, ``vgg16``, ``lpips``,
``efficientnet_lite0``, ``random_efficientnet_lite0``).
This package sits below metrics/, models/ and train/ and imports none of them.
"""

from ganforge.backbones.frozen import FrozenBackbone, frozen_parameter_ids
from ganforge.backbones.registry import BACKBONES, BackboneSpec, build_backbone, list_backbones, register_backbone
from ganforge.backbones.weights import KNOWN_WEIGHTS, WeightsInfo, locate_weights, resolve_weights, sha256_file
from ganforge.backbones import efficientnet_lite, inception, lpips, random_inception, vgg  # noqa: F401,E402  (register the built-ins)
from ganforge.backbones.inception import FIDInceptionV3, TorchScriptInception, load_inception, tf1_resize_bilinear
from ganforge.backbones.lpips import LPIPS, load_lpips
from ganforge.backbones.random_inception import RANDOM_INCEPTION_SEED, random_inception
from ganforge.backbones.vgg import VGG16, TorchScriptVGG16, load_vgg16
from ganforge.backbones.efficientnet_lite import EfficientNetLite0, load_efficientnet_lite0

__all__ = [
    "FrozenBackbone", "frozen_parameter_ids", "BACKBONES", "BackboneSpec", "build_backbone", "list_backbones",
    "register_backbone", "KNOWN_WEIGHTS", "WeightsInfo", "locate_weights", "resolve_weights", "sha256_file",
    "FIDInceptionV3", "TorchScriptInception", "load_inception", "tf1_resize_bilinear", "LPIPS", "load_lpips",
    "RANDOM_INCEPTION_SEED", "random_inception", "VGG16", "TorchScriptVGG16", "load_vgg16",
    "EfficientNetLite0", "load_efficientnet_lite0",
]
