"""EfficientNet-lite0 in timm's tf_efficientnet_lite0 layout: loading, rejection, features, the random fallback."""

import hashlib

import pytest
import torch

from ganforge.backbones import FrozenBackbone, build_backbone
from ganforge.backbones.efficientnet_lite import (FEATURE_CHANNELS, RANDOM_EFFICIENTNET_LITE0_SHA256,
                                                  EfficientNetLite0, load_efficientnet_lite0,
                                                  random_efficientnet_lite0_state_dict)
from ganforge.backbones.weights import state_dict_sha256


def timm_layout_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict written by hand in timm's tf_efficientnet_lite0 layout (names and shapes from the paper's table
    and timm's naming), independent of our module: stem, 7 stages of (expand, kernel, out, repeats), head."""
    g = torch.Generator().manual_seed(seed)
    sd: dict[str, torch.Tensor] = {}

    def conv(name, cout, cin, k):
        sd[f"{name}.weight"] = torch.randn(cout, cin, k, k, generator=g) * 0.1

    def bn(name, c):
        sd[f"{name}.weight"] = torch.rand(c, generator=g) + 0.5
        sd[f"{name}.bias"] = torch.randn(c, generator=g) * 0.1
        sd[f"{name}.running_mean"] = torch.randn(c, generator=g) * 0.1
        sd[f"{name}.running_var"] = torch.rand(c, generator=g) + 0.5
        sd[f"{name}.num_batches_tracked"] = torch.tensor(1000)

    conv("conv_stem", 32, 3, 3), bn("bn1", 32)
    conv("blocks.0.0.conv_dw", 32, 1, 3), bn("blocks.0.0.bn1", 32)
    conv("blocks.0.0.conv_pw", 16, 32, 1), bn("blocks.0.0.bn2", 16)
    cin = 16
    for i, (k, cout, repeats) in enumerate([(3, 24, 2), (5, 40, 2), (3, 80, 3), (5, 112, 3), (5, 192, 4), (3, 320, 1)],
                                           start=1):
        for j in range(repeats):
            p, mid = f"blocks.{i}.{j}", cin * 6
            conv(f"{p}.conv_pw", mid, cin, 1), bn(f"{p}.bn1", mid)
            conv(f"{p}.conv_dw", mid, 1, k), bn(f"{p}.bn2", mid)
            conv(f"{p}.conv_pwl", cout, mid, 1), bn(f"{p}.bn3", cout)
            cin = cout
    conv("conv_head", 1280, 320, 1), bn("bn2", 1280)
    sd["classifier.weight"] = torch.randn(1000, 1280, generator=g) * 0.01
    sd["classifier.bias"] = torch.zeros(1000)
    return sd


def test_the_timm_layout_loads_with_its_parameter_count(tmp_path, monkeypatch):
    sd = timm_layout_state_dict()
    num_params = sum(v.numel() for k, v in sd.items() if not k.endswith(("running_mean", "running_var", "tracked")))
    assert num_params == 4_652_008  # timm: tf_efficientnet_lite0, 4.65 M
    assert sum(p.numel() for p in EfficientNetLite0().parameters()) == num_params
    path = tmp_path / "tf_efficientnet_lite0.pth"
    torch.save(sd, path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    net = build_backbone("efficientnet_lite0", path, sha256=digest)
    assert isinstance(net, FrozenBackbone) and not net.training
    for key, value in net.net.state_dict().items():
        assert torch.equal(value, sd[key]), key
    monkeypatch.setenv("GANFORGE_EFFICIENTNET_LITE0", str(path))  # the environment variable finds it too
    assert torch.equal(build_backbone("efficientnet_lite0").net.conv_stem.weight, sd["conv_stem.weight"])


def test_wrong_sha256_is_one_error_naming_the_file(tmp_path):
    path = tmp_path / "lite0.pth"
    torch.save(timm_layout_state_dict(), path)
    with pytest.raises(ValueError) as err:
        build_backbone("efficientnet_lite0", path, sha256="0" * 64)
    message = str(err.value)
    assert "sha256 mismatch" in message and str(path) in message and "\n" not in message


@pytest.mark.parametrize("damage", ["drop", "rename", "reshape", "not_a_dict"])
def test_wrong_layout_is_one_error_naming_the_file(tmp_path, damage):
    sd = timm_layout_state_dict()
    if damage == "drop":
        del sd["blocks.3.2.conv_dw.weight"]
    elif damage == "rename":  # e.g. torchvision's names
        sd["features.0.0.weight"] = sd.pop("conv_stem.weight")
    elif damage == "reshape":  # EfficientNet-B0's stem (same names, other widths would differ too)
        sd["conv_head.weight"] = torch.zeros(1280, 321, 1, 1)
    else:
        sd = [sd["conv_stem.weight"]]
    path = tmp_path / "other.pth"
    torch.save(sd, path)
    with pytest.raises(ValueError) as err:
        build_backbone("efficientnet_lite0", path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    assert "tf_efficientnet_lite0" in message


def test_features_have_the_documented_shapes():
    net = load_efficientnet_lite0()
    with torch.no_grad():
        for size in (32, 64, 224):
            feats = net.features(torch.rand(2, 3, size, size) * 2 - 1)
            expected = [(2, c, -(-size // s), -(-size // s)) for c, s in zip(FEATURE_CHANNELS, (4, 8, 16, 32))]
            assert [tuple(f.shape) for f in feats] == expected
        assert net(torch.zeros(1, 3, 64, 64)).shape == (1, 1000)
    with pytest.raises(ValueError, match="RGB"):
        net.features(torch.zeros(1, 1, 32, 32))


def test_tf_same_padding_is_asymmetric_on_stride_2():
    """TF "same" puts the odd padding pixel bottom/right: a stride-2 3x3 conv on a 4x4 input reads rows 0..4 with row 4
    padded, so the output pixel (0, 0) sees input rows/cols 0..2 (not -1..1 as symmetric padding would)."""
    net = load_efficientnet_lite0()
    conv = net.conv_stem
    x = torch.zeros(1, 3, 4, 4)
    x[..., 0, 0] = 1.0
    with torch.no_grad():
        y = conv(x)
    assert y.shape[-2:] == (2, 2)
    assert torch.allclose(y[0, :, 0, 0], conv.weight[:, :, 0, 0].sum(1))


def test_random_fallback_is_deterministic_and_pinned():
    a, b = random_efficientnet_lite0_state_dict(), random_efficientnet_lite0_state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert state_dict_sha256(a) == RANDOM_EFFICIENTNET_LITE0_SHA256
    assert state_dict_sha256(random_efficientnet_lite0_state_dict(seed=1)) != RANDOM_EFFICIENTNET_LITE0_SHA256
    net = build_backbone("random_efficientnet_lite0")
    assert state_dict_sha256(net.net.state_dict()) == RANDOM_EFFICIENTNET_LITE0_SHA256
    with torch.no_grad():  # random features keep their scale through the 16 blocks (neither vanish nor explode)
        stds = [f.std().item() for f in net.net.features(torch.rand(4, 3, 64, 64) * 2 - 1)]
    assert all(0.1 < s < 10 for s in stds), stds
