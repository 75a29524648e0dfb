"""EfficientNet-lite0 (Tan & Le 2019; the "lite" variant for mobile) in pure PyTorch, with timm's
``tf_efficientnet_lite0`` parameter names, as the feature network of a projected discriminator (Sauer et al. 2021).

Lite differs from EfficientNet-B0 in three ways: ReLU6 instead of swish, no squeeze-and-excitation, and a stem
(32 channels) and head (1280 channels) that do not scale with the width multiplier. The ``tf_`` weights were trained
in TensorFlow, so stride-2 convs use TF "same" padding (asymmetric, more on the bottom/right) and BatchNorm eps 1e-3;
the input is RGB in [-1, 1] (the tf_ lite weights' mean = std = 0.5), which is what a discriminator gets.

State dict layout (4,652,008 parameters with the ImageNet classifier)::

    conv_stem.weight [32, 3, 3, 3]   bn1.{weight, bias, running_mean, running_var, num_batches_tracked}
    blocks.0.0.{conv_dw, bn1, conv_pw, bn2}                        depthwise-separable, 32 -> 16
    blocks.i.j.{conv_pw, bn1, conv_dw, bn2, conv_pwl, bn3}          inverted residual (expand 6), i = 1..6
    conv_head.weight [1280, 320, 1, 1]   bn2.*   classifier.{weight [1000, 1280], bias}

Features (:meth:`EfficientNetLite0.features`): the outputs of stages 1, 2, 4 and 6, the last block of each
resolution, as the Projected GAN paper uses them: ``[N, 24, H/4, W/4]``, ``[N, 40, H/8, W/8]``,
``[N, 112, H/16, W/16]``, ``[N, 320, H/32, W/32]``.

Weights are read from a user file (timm's state dict, ``.pth`` or ``.safetensors``), checked by sha256 when a digest is
given; without a file, :func:`random_efficientnet_lite0_state_dict` generates seeded random weights (a fixed random
projection), pinned by :data:`RANDOM_EFFICIENTNET_LITE0_SHA256`.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.backbones.registry import register_backbone
from ganforge.backbones.weights import read_weights_file

__all__ = ["EfficientNetLite0", "FEATURE_CHANNELS", "FEATURE_STRIDES", "STAGES", "load_efficientnet_lite0",
           "random_efficientnet_lite0_state_dict", "RANDOM_EFFICIENTNET_LITE0_SEED", "RANDOM_EFFICIENTNET_LITE0_SHA256"]

STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    # (expand ratio, kernel, stride, out channels, blocks): EfficientNet-B0's stages, depth and width multiplier 1
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
FEATURE_STAGES = (1, 2, 4, 6)
"""Stages whose outputs are the 4 feature maps (the last block at each of the strides 4, 8, 16, 32)."""
FEATURE_CHANNELS = (24, 40, 112, 320)
FEATURE_STRIDES = (4, 8, 16, 32)
STEM_CHANNELS, HEAD_CHANNELS, NUM_CLASSES = 32, 1280, 1000
BN_EPS = 1e-3  # TensorFlow's BatchNorm default, which the tf_ weights were trained with

RANDOM_EFFICIENTNET_LITE0_SEED = 20211115
"""Seed of the offline fallback's weights; changing it changes every number computed with random features."""
RANDOM_EFFICIENTNET_LITE0_SHA256 = "8ea7a952079c889827921170c0c156558280220676551e67c9690191af7d4732"
"""``state_dict_sha256(random_efficientnet_lite0_state_dict())``, pinned once (torch 2.13, numpy 2.4, x86-64); a test
recomputes it."""


class Conv2dSame(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "same" padding: output size ``ceil(in / stride)``, the odd pixel of padding on the
    bottom/right (computed per input size, as TF does)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in ((x.shape[-1], self.kernel_size[1], self.stride[1]),
                           (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return Conv2dSame(cin, cout, k, stride, bias=False, groups=groups)


class DepthwiseSeparable(nn.Module):
    """``conv_dw (k x k, depthwise) -> bn1 -> ReLU6 -> conv_pw (1x1) -> bn2`` (no SE, no residual: 32 -> 16)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv_dw, self.bn1 = _conv(cin, cin, kernel, stride, groups=cin), nn.BatchNorm2d(cin, eps=BN_EPS)
        self.conv_pw, self.bn2 = _conv(cin, cout, 1), nn.BatchNorm2d(cout, eps=BN_EPS)
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv_pw(F.relu6(self.bn1(self.conv_dw(x)))))
        return x + y if self.has_skip else y


class InvertedResidual(nn.Module):
    """MBConv without SE: ``conv_pw (expand) -> bn1 -> ReLU6 -> conv_dw -> bn2 -> ReLU6 -> conv_pwl -> bn3``, plus the
    input when the shape is kept (linear bottleneck, Sandler et al. 2018)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.conv_pw, self.bn1 = _conv(cin, mid, 1), nn.BatchNorm2d(mid, eps=BN_EPS)
        self.conv_dw, self.bn2 = _conv(mid, mid, kernel, stride, groups=mid), nn.BatchNorm2d(mid, eps=BN_EPS)
        self.conv_pwl, self.bn3 = _conv(mid, cout, 1), nn.BatchNorm2d(cout, eps=BN_EPS)
        self.has_skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self.bn1(self.conv_pw(x)))
        y = F.relu6(self.bn2(self.conv_dw(y)))
        y = self.bn3(self.conv_pwl(y))
        return x + y if self.has_skip else y


class EfficientNetLite0(nn.Module):
    """``img [N, 3, H, W]`` in [-1, 1] -> ImageNet logits ``[N, 1000]`` (:meth:`forward`) or the 4 feature maps
    (:meth:`features`); any ``H, W >= 32``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_stem, self.bn1 = _conv(3, STEM_CHANNELS, 3, 2), nn.BatchNorm2d(STEM_CHANNELS, eps=BN_EPS)
        stages, cin = [], STEM_CHANNELS
        for expand, kernel, stride, cout, num_blocks in STAGES:
            blocks = []
            for j in range(num_blocks):
                s = stride if j == 0 else 1
                blocks.append(DepthwiseSeparable(cin, cout, kernel, s) if expand == 1
                              else InvertedResidual(cin, cout, kernel, s, expand))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head, self.bn2 = _conv(cin, HEAD_CHANNELS, 1), nn.BatchNorm2d(HEAD_CHANNELS, eps=BN_EPS)
        self.classifier = nn.Linear(HEAD_CHANNELS, NUM_CLASSES)

    def features(self, img: torch.Tensor) -> list[torch.Tensor]:
        """``img [N, 3, H, W]`` -> ``[[N, 24, H/4, W/4], [N, 40, H/8, W/8], [N, 112, H/16, W/16], [N, 320, H/32, W/32]]``
        (sizes rounded up, TF "same")."""
        if img.ndim != 4 or img.shape[1] != 3:
            raise ValueError(f"EfficientNet-lite0 takes RGB images [N, 3, H, W], got {list(img.shape)}")
        x = F.relu6(self.bn1(self.conv_stem(img)))  # [N, 32, H/2, W/2]
        out = []
        for i, stage in enumerate(self.blocks):
            x = stage(x)
            if i in FEATURE_STAGES:
                out.append(x)
        return out

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = self.features(img)[-1]
        x = F.relu6(self.bn2(self.conv_head(x)))  # [N, 1280, H/32, W/32]
        return self.classifier(x.mean(dim=(2, 3)))  # [N, 1000]


def _uniform(name: str, seed: int, numel: int) -> np.ndarray:
    key = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key]))).random(numel, dtype=np.float64)


def random_efficientnet_lite0_state_dict(seed: int = RANDOM_EFFICIENTNET_LITE0_SEED) -> dict[str, torch.Tensor]:
    """Seeded random weights in timm's layout, generated on CPU with IEEE-exact arithmetic only (the recipe of
    ``random_inception``): one PCG64 stream per tensor keyed by ``(seed, sha256(name))``; convs He-uniform
    ``(2u - 1) * sqrt(3 * gain / fan_in)`` with gain 2 before a ReLU6 and gain 1 for the linear projections
    (``conv_pwl``, the classifier), so that activations keep their scale through the 16 blocks; BatchNorm the
    identity (weight 1, bias 0, mean 0, var 1); biases 0."""
    with torch.device("meta"):
        template = EfficientNetLite0().state_dict()
    state: dict[str, torch.Tensor] = {}
    for name, ref in template.items():
        shape, leaf = tuple(ref.shape), name.rsplit(".", 1)[-1]
        if leaf == "num_batches_tracked":
            state[name] = torch.zeros((), dtype=torch.long)
        elif ".bn" in f".{name}":
            fill = 1.0 if leaf in ("weight", "running_var") else 0.0
            state[name] = torch.full(shape, fill, dtype=torch.float32)
        elif leaf == "bias":
            state[name] = torch.zeros(shape, dtype=torch.float32)
        else:
            fan_in = int(np.prod(shape[1:]))
            gain = 1.0 if ("conv_pwl" in name or name.startswith("classifier")) else 2.0
            values = (2.0 * _uniform(name, seed, int(np.prod(shape))) - 1.0) * np.sqrt(3.0 * gain / fan_in)
            state[name] = torch.from_numpy(values.astype(np.float32).reshape(shape))
    return state


def _check_layout(state: object, path: Path | None) -> dict[str, torch.Tensor]:
    """``state`` when it is a tf_efficientnet_lite0 state dict (names and shapes), else one ``ValueError`` naming the
    file and the first differences."""
    where = f"{path}: " if path is not None else ""
    if not isinstance(state, dict):
        raise ValueError(f"{where}not a tf_efficientnet_lite0 state dict (got a {type(state).__name__})")
    with torch.device("meta"):
        template = EfficientNetLite0().state_dict()
    missing = sorted(set(template) - set(state))
    unexpected = sorted(set(state) - set(template))
    wrong = sorted(k for k in set(template) & set(state)
                   if not isinstance(state[k], torch.Tensor) or tuple(state[k].shape) != tuple(template[k].shape))
    if missing or unexpected or wrong:
        parts = [f"{label} {keys[:3]}{' ...' if len(keys) > 3 else ''}" for label, keys in
                 (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)) if keys]
        raise ValueError(f"{where}not in timm's tf_efficientnet_lite0 layout: {'; '.join(parts)}")
    return state


def load_efficientnet_lite0(weights: str | Path | None = None, *, seed: int = RANDOM_EFFICIENTNET_LITE0_SEED,
                            map_location: str | torch.device = "cpu") -> EfficientNetLite0:
    """The network with timm-layout weights from ``weights`` (already sha256-checked by the caller, see
    ``build_backbone``), or the seeded random weights when ``weights`` is ``None``; in eval mode.

    Raises:
        ValueError: The file is unreadable or not in the tf_efficientnet_lite0 layout (one line naming the file).
    """
    if weights is None:
        state = random_efficientnet_lite0_state_dict(seed)
    else:
        path = Path(weights)
        state = _check_layout(read_weights_file(path, map_location="cpu"), path)
        state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    with torch.device("meta"):
        net = EfficientNetLite0()
    net.load_state_dict(state, strict=True, assign=True)
    return net.to(map_location).eval()


@register_backbone("efficientnet_lite0", weights="efficientnet_lite0",
                   description="tf_efficientnet_lite0 (timm layout): [-1, 1] [N,3,H,W] -> 4 maps (24/40/112/320 ch)")
def _build(weights: Path, device: torch.device) -> EfficientNetLite0:
    return load_efficientnet_lite0(weights, map_location=device)


@register_backbone("random_efficientnet_lite0",
                   description="EfficientNet-lite0 with seeded random weights (offline projected D), no file")
def _build_random(weights: None, device: torch.device, seed: int = RANDOM_EFFICIENTNET_LITE0_SEED) -> EfficientNetLite0:
    return load_efficientnet_lite0(None, seed=seed, map_location=device)
