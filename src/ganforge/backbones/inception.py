"""The FID Inception-v3 (TF 2015-12-05 graph) in pure PyTorch, and the loaders for its weight files.

Architecture: Inception-v3 with the "FID" variants of the blocks that the TF graph uses (as documented by
pytorch-fid and torch-fidelity, Apache-2.0): average pools that exclude padding in blocks A, C and E_1, a *max*
pool in the pool branch of the last block (E_2), and a 1008-way classifier. Module names follow torchvision's
``Inception3`` so the pytorch-fid / torch-fidelity state dicts (``Conv2d_1a_3x3.conv.weight``, ``Mixed_7c.
branch_pool.bn.running_var``, ``fc.weight``, ...) load by name.

Input recipe (StyleGAN2-ADA / TF FID): uint8 images of any size, cast to float32, resized to 299x299 with the
TF1 ``resize_bilinear(align_corners=False)`` sampling (no half-pixel centres, no antialiasing), then
``(x - 128) / 128``. Output: pool3 features ``[N, 2048]``, optionally the 1008 logits (without output bias, as
NVIDIA's IS uses; torch-fidelity calls these ``logits_unbiased``).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.backbones.registry import register_backbone
from ganforge.backbones.weights import read_weights_file
from ganforge.nn.shape import assert_shape

__all__ = [
    "FIDInceptionV3",
    "TorchScriptInception",
    "tf1_resize_bilinear",
    "map_inception_state_dict",
    "load_inception",
    "FEATURE_DIM",
    "NUM_LOGITS",
    "INPUT_SIZE",
]

FEATURE_DIM = 2048
NUM_LOGITS = 1008
INPUT_SIZE = 299


def tf1_resize_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with TF1 ``resize_bilinear(align_corners=False)`` sampling.

    Output pixel ``i`` reads source coordinate ``i * in/out`` (no half-pixel offset), interpolating between
    ``floor`` and ``floor + 1`` clamped to the border. This is what NVIDIA's TorchScript Inception reproduces
    with its shifted ``affine_grid`` + ``grid_sample``, and differs from ``F.interpolate(align_corners=False)``.

    Args:
        x: Float images ``[N, C, H, W]``.
        size: Output ``(height, width)``.

    Returns:
        ``[N, C, size[0], size[1]]`` in the dtype of ``x``.
    """
    assert_shape(x, [None, None, None, None], "x")
    out_h, out_w = size

    def axis(n_in: int, n_out: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        src = torch.arange(n_out, device=x.device, dtype=torch.float64) * (n_in / n_out)
        lo = src.floor().clamp(max=n_in - 1)
        frac = (src - lo).to(x.dtype)
        lo = lo.long()
        return lo, (lo + 1).clamp(max=n_in - 1), frac

    y0, y1, fy = axis(x.shape[2], out_h)
    x0, x1, fx = axis(x.shape[3], out_w)
    rows = x[:, :, y0] * (1 - fy)[:, None] + x[:, :, y1] * fy[:, None]  # [N, C, out_h, W]
    return rows[..., x0] * (1 - fx) + rows[..., x1] * fx  # [N, C, out_h, out_w]


class BasicConv2d(nn.Module):
    """Conv (no bias) -> BatchNorm (eps 1e-3, as in the TF graph) -> ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int = 1, padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


def _avg_pool_no_pad(x: torch.Tensor) -> torch.Tensor:
    # TF's average pool does not count the zero padding (count_include_pad=False): the FID-variant patch.
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class InceptionA(nn.Module):
    """35x35 block (Mixed_5b/c/d); out channels = 224 + pool_features."""

    def __init__(self, in_channels: int, pool_features: int) -> None:
        super().__init__()
        self.branch1x1 = BasicConv2d(in_channels, 64, 1)
        self.branch5x5_1 = BasicConv2d(in_channels, 48, 1)
        self.branch5x5_2 = BasicConv2d(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, padding=1)
        self.branch_pool = BasicConv2d(in_channels, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(_avg_pool_no_pad(x))
        return torch.cat([b1, b5, b3, bp], 1)


class InceptionB(nn.Module):
    """Grid reduction 35 -> 17 (Mixed_6a); out channels = 480 + in_channels."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3 = BasicConv2d(in_channels, 384, 3, stride=2)
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 64, 1)
        self.branch3x3dbl_2 = BasicConv2d(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = BasicConv2d(96, 96, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3(x)
        bd = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([b3, bd, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionC(nn.Module):
    """17x17 block with factorised 7x7 convs (Mixed_6b..e); out channels 768."""

    def __init__(self, in_channels: int, channels_7x7: int) -> None:
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7_2 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = BasicConv2d(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = BasicConv2d(in_channels, c7, 1)
        self.branch7x7dbl_2 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = BasicConv2d(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = BasicConv2d(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = BasicConv2d(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        bd = self.branch7x7dbl_1(x)
        for layer in (self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4, self.branch7x7dbl_5):
            bd = layer(bd)
        bp = self.branch_pool(_avg_pool_no_pad(x))
        return torch.cat([b1, b7, bd, bp], 1)


class InceptionD(nn.Module):
    """Grid reduction 17 -> 8 (Mixed_7a); out channels = 512 + in_channels."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.branch3x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch3x3_2 = BasicConv2d(192, 320, 3, stride=2)
        self.branch7x7x3_1 = BasicConv2d(in_channels, 192, 1)
        self.branch7x7x3_2 = BasicConv2d(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = BasicConv2d(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = BasicConv2d(192, 192, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class InceptionE(nn.Module):
    """8x8 block with split 1x3/3x1 branches (Mixed_7b, Mixed_7c); out channels 2048.

    Args:
        in_channels: Input channels.
        pool: ``'avg'`` (E_1, padding excluded from the mean) or ``'max'`` (E_2: the TF graph max-pools here).
    """

    def __init__(self, in_channels: int, pool: str) -> None:
        super().__init__()
        if pool not in ("avg", "max"):
            raise ValueError(f"pool must be 'avg' or 'max', got {pool!r}")
        self.pool = pool
        self.branch1x1 = BasicConv2d(in_channels, 320, 1)
        self.branch3x3_1 = BasicConv2d(in_channels, 384, 1)
        self.branch3x3_2a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = BasicConv2d(in_channels, 448, 1)
        self.branch3x3dbl_2 = BasicConv2d(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = BasicConv2d(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = BasicConv2d(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = BasicConv2d(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b1 = self.branch1x1(x)
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        bd = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        bd = torch.cat([self.branch3x3dbl_3a(bd), self.branch3x3dbl_3b(bd)], 1)
        if self.pool == "avg":
            pooled = _avg_pool_no_pad(x)
        else:
            pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1)
        return torch.cat([b1, b3, bd, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """FID Inception-v3: uint8 images -> pool3 features ``[N, 2048]`` (and 1008 logits for IS).

    Build it empty and load weights with ``load_inception`` (or ``load_state_dict`` on a state dict that went
    through ``map_inception_state_dict``); ``ganforge.backbones.random_inception`` fills it with seeded weights.

    Args:
        resize: Resize inputs to 299x299 with ``tf1_resize_bilinear`` (the FID recipe). ``False`` runs the net
            at the input size (only for tests and for inputs that are already 299x299).
    """

    def __init__(self, resize: bool = True) -> None:
        super().__init__()
        self.resize = resize
        self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
        self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
        self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
        self.Mixed_5b = InceptionA(192, pool_features=32)
        self.Mixed_5c = InceptionA(256, pool_features=64)
        self.Mixed_5d = InceptionA(288, pool_features=64)
        self.Mixed_6a = InceptionB(288)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)
        self.Mixed_7a = InceptionD(768)
        self.Mixed_7b = InceptionE(1280, pool="avg")
        self.Mixed_7c = InceptionE(2048, pool="max")
        self.fc = nn.Linear(FEATURE_DIM, NUM_LOGITS)
        self.has_classifier = True  # False when loaded from a file without ``fc`` (pytorch-fid wrapper layout)
        self.eval()

    def preprocess(self, img: torch.Tensor) -> torch.Tensor:
        """uint8 (or float in [0, 255]) ``[N, 3, H, W]`` -> normalised float32 ``[N, 3, 299, 299]``."""
        assert_shape(img, [None, 3, None, None], "img")
        x = img.to(torch.float32)
        if self.resize and tuple(x.shape[2:]) != (INPUT_SIZE, INPUT_SIZE):
            x = tf1_resize_bilinear(x, (INPUT_SIZE, INPUT_SIZE))
        return (x - 128) / 128

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Preprocessed ``[N, 3, H, W]`` -> pool3 features ``[N, 2048]``."""
        for layer in (self.Conv2d_1a_3x3, self.Conv2d_2a_3x3, self.Conv2d_2b_3x3):
            x = layer(x)
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # [N, 64, 73, 73] at 299
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)  # [N, 192, 35, 35]
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return x.mean(dim=(2, 3))  # [N, 2048] pool3

    def logits(self, features: torch.Tensor, with_bias: bool = False) -> torch.Tensor:
        """pool3 features ``[N, 2048]`` -> 1008 logits; IS uses them without the output bias (NVIDIA recipe)."""
        assert_shape(features, [None, FEATURE_DIM], "features")
        if not self.has_classifier:
            raise ValueError("these Inception weights have no 'fc' classifier: IS needs the full pt_inception file")
        return F.linear(features, self.fc.weight, self.fc.bias if with_bias else None)

    def forward(
        self, img: torch.Tensor, return_logits: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run the FID recipe.

        Args:
            img: uint8 RGB images ``[N, 3, H, W]`` (any size).
            return_logits: Also return the bias-free logits ``[N, 1008]``.

        Returns:
            Features ``[N, 2048]``, or ``(features, logits)``.
        """
        feats = self.features(self.preprocess(img))
        return (feats, self.logits(feats)) if return_logits else feats


class TorchScriptInception(nn.Module):
    """Adapter for NVIDIA's TorchScript ``inception-2015-12-05.pt``, run as-is.

    The file is a TorchScript archive: its ``forward`` is code executed by torch's TorchScript interpreter (not a
    Python pickle, so it cannot run arbitrary Python, but it is still code from the file: load only files you
    trust). It does its own resize and normalisation; we call it as StyleGAN2-ADA does
    (``return_features=True`` for pool3, ``no_output_bias=True`` for IS logits).

    Args:
        net: The loaded ``torch.jit.ScriptModule``.
    """

    def __init__(self, net: torch.jit.ScriptModule) -> None:
        super().__init__()
        self.net = net

    def forward(
        self, img: torch.Tensor, return_logits: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Same contract as ``FIDInceptionV3.forward``: uint8 ``[N, 3, H, W]`` -> ``[N, 2048]`` (+ ``[N, 1008]``)."""
        assert_shape(img, [None, 3, None, None], "img")
        feats = self.net(img, return_features=True)
        assert_shape(feats, [img.shape[0], FEATURE_DIM], "TorchScript features")
        if not return_logits:
            return feats
        return feats, self.net(img, no_output_bias=True)


def _strip_prefix(key: str) -> str:
    for prefix in ("module.", "model.", "inception."):
        if key.startswith(prefix):
            key = key[len(prefix):]
    return key


# pytorch-fid's ``InceptionV3`` wrapper stores the same layers as ``blocks.<i>.<j>`` (max pools hold no weights).
_PYTORCH_FID_BLOCKS = {
    "blocks.0.0": "Conv2d_1a_3x3", "blocks.0.1": "Conv2d_2a_3x3", "blocks.0.2": "Conv2d_2b_3x3",
    "blocks.1.0": "Conv2d_3b_1x1", "blocks.1.1": "Conv2d_4a_3x3",
    "blocks.2.0": "Mixed_5b", "blocks.2.1": "Mixed_5c", "blocks.2.2": "Mixed_5d", "blocks.2.3": "Mixed_6a",
    "blocks.2.4": "Mixed_6b", "blocks.2.5": "Mixed_6c", "blocks.2.6": "Mixed_6d", "blocks.2.7": "Mixed_6e",
    "blocks.3.0": "Mixed_7a", "blocks.3.1": "Mixed_7b", "blocks.3.2": "Mixed_7c",
}


def map_inception_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map a pytorch-fid / torch-fidelity Inception state dict onto ``FIDInceptionV3`` names.

    Accepts the ``pt_inception-2015-12-05-6726825d.pth`` / torch-fidelity layout (torchvision ``Inception3``
    names without ``AuxLogits``; identical to ours), the pytorch-fid ``InceptionV3`` wrapper layout
    (``blocks.i.j.*``, no ``fc``), ``module.`` prefixes, and drops ``num_batches_tracked`` and ``AuxLogits.*``.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        key = _strip_prefix(key)
        if key.endswith("num_batches_tracked") or key.startswith("AuxLogits."):
            continue
        head, _, rest = key.partition(".")
        if head == "blocks":
            idx, _, tail = rest.partition(".")
            sub, _, tail = tail.partition(".")
            key = f"{_PYTORCH_FID_BLOCKS.get(f'blocks.{idx}.{sub}', key)}.{tail}"  # unknown: reported later
        out[key] = value
    return out


def load_inception(path: str | Path, map_location: str | torch.device = "cpu") -> nn.Module:
    """Load FID Inception weights from a file into an eval-mode module with a common forward.

    Args:
        path: A state dict (``.pth``/``.pt`` saved by ``torch.save``, or ``.safetensors``) in the pytorch-fid /
            torch-fidelity / ganforge layout, or NVIDIA's TorchScript ``inception-2015-12-05.pt``. Use
            ``ganforge.backbones.weights.resolve_weights('inception', ...)`` to find it.
        map_location: Device for the weights.

    Returns:
        ``FIDInceptionV3`` (state dicts) or ``TorchScriptInception``; both map uint8 ``[N, 3, H, W]`` to
        ``[N, 2048]`` features (``return_logits=True`` adds ``[N, 1008]``).

    Raises:
        ValueError: The state dict misses keys or has unexpected ones (it is not an FID Inception).
    """
    state = read_weights_file(path, map_location)
    if isinstance(state, torch.jit.ScriptModule):
        return TorchScriptInception(state).eval()
    mapped = map_inception_state_dict(state)
    with torch.device("meta"):  # no init work: every tensor is assigned from the file below
        net = FIDInceptionV3()
    expected = net.state_dict()
    missing = [k for k in expected if k not in mapped]
    unexpected = [k for k in mapped if k not in expected]
    # Files without num_batches_tracked are fine; the pytorch-fid wrapper layout has no classifier, so its
    # features work and its logits are zero (IS needs a file with ``fc``).
    fillable = [k for k in missing if k.endswith("num_batches_tracked") or k.startswith("fc.")]
    if unexpected or len(fillable) != len(missing):
        bad = [k for k in missing if k not in fillable]
        raise ValueError(
            f"{path} is not an FID Inception state dict: missing {bad[:5]}{'...' if len(bad) > 5 else ''}, "
            f"unexpected {unexpected[:5]}{'...' if len(unexpected) > 5 else ''}"
        )
    for key in fillable:
        mapped[key] = torch.zeros(expected[key].shape, dtype=expected[key].dtype, device=map_location)
    mapped = {k: v.float() if v.is_floating_point() else v for k, v in mapped.items()}
    net.load_state_dict(mapped, strict=True, assign=True)
    net.has_classifier = "fc.weight" not in fillable
    return net.to(map_location).eval()


@register_backbone("inception", weights="inception", description="FID Inception-v3: uint8 -> pool3 [N, 2048] (+ logits)")
def _build_inception(weights: Path, device: torch.device) -> nn.Module:
    return load_inception(weights, map_location=device)
