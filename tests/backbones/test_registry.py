"""The backbone registry: names, weight files (path, env var, sha256), the frozen wrapper, and the layering."""

import ast
import hashlib
import re
from pathlib import Path

import pytest
import torch
from torch import nn

import ganforge.backbones as backbones_pkg
from ganforge.backbones import (BACKBONES, FrozenBackbone, KNOWN_WEIGHTS, build_backbone, list_backbones,
                                register_backbone)
from ganforge.backbones.random_inception import random_inception_state_dict, state_dict_sha256
from ganforge.backbones.weights import read_weights_file
from ganforge.metrics.features import open_feature_net

TEST_NAME = "test-tiny-heads"


@pytest.fixture
def tiny_backbone():
    """A registered backbone reading a small state dict from the ``lpips`` weight slot (``$GANFORGE_LPIPS``)."""

    @register_backbone(TEST_NAME, weights="lpips", description="test: one 1x1 conv")
    def build(weights: Path, device: torch.device, bias: bool = False) -> nn.Module:
        net = nn.Conv2d(3, 2, 1, bias=bias)
        net.load_state_dict(read_weights_file(weights, device))
        return net

    try:
        yield TEST_NAME
    finally:
        BACKBONES._entries.pop(TEST_NAME)


def _write_conv(path: Path, bias: bool = False) -> Path:
    torch.save(nn.Conv2d(3, 2, 1, bias=bias).state_dict(), path)
    return path


def test_built_ins_are_registered():
    assert list_backbones() == ["efficientnet_lite0", "inception", "lpips", "random_efficientnet_lite0",
                                "random_inception", "vgg16"]
    for name in list_backbones():
        spec = BACKBONES.get(name)
        assert spec.description and (spec.weights is None or spec.weights in KNOWN_WEIGHTS)


def test_unknown_name_is_one_error_listing_the_valid_names():
    with pytest.raises(ValueError) as err:
        build_backbone("deit_small")
    assert str(err.value) == ("unknown backbone 'deit_small'; known: efficientnet_lite0, inception, lpips, "
                              "random_efficientnet_lite0, random_inception, vgg16")
    with pytest.raises(ValueError, match="unknown weights 'alexnet'"):
        register_backbone("x", weights="alexnet")
    assert "x" not in BACKBONES


def test_builds_a_frozen_module_from_a_local_file(tiny_backbone, tmp_path, monkeypatch):
    f = _write_conv(tmp_path / "heads.pth", bias=True)
    net = build_backbone(tiny_backbone, f, bias=True)  # builder options pass through
    assert isinstance(net, FrozenBackbone) and net.name == tiny_backbone and net.weights_file == f
    assert not net.training and all(not p.requires_grad for p in net.parameters())
    assert torch.equal(net.net.weight, torch.load(f)["weight"])
    x = torch.randn(1, 3, 4, 4)
    assert torch.equal(net(x), net.net(x))
    monkeypatch.setenv(KNOWN_WEIGHTS["lpips"].env_var, str(f))  # no path: the environment variable
    assert build_backbone(tiny_backbone, bias=True).weights_file == f


def test_sha256_mismatch_names_the_file(tiny_backbone, tmp_path):
    f = _write_conv(tmp_path / "heads.pth")
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    assert build_backbone(tiny_backbone, f, sha256=digest).weights_file == f
    assert build_backbone(tiny_backbone, f, sha256=digest[:8].upper()).weights_file == f
    with pytest.raises(ValueError, match=re.escape(f"sha256 mismatch for the 'lpips' weight file {f}")):
        build_backbone(tiny_backbone, f, sha256="0" * 64)


def test_known_filename_is_checked_before_loading(tmp_path):
    f = tmp_path / KNOWN_WEIGHTS["inception"].filenames[0]  # pt_inception-...-6726825d.pth
    f.write_bytes(b"not the real network")
    with pytest.raises(ValueError, match=re.escape(f"weight file {f}: expected 6726825d")):
        build_backbone("inception", f)


def test_missing_file_says_where_it_comes_from(monkeypatch, tmp_path):
    monkeypatch.delenv("GANFORGE_VGG16", raising=False)
    with pytest.raises(ValueError, match="(?s)No 'vgg16' weight file given.*GANFORGE_VGG16.*swd"):
        build_backbone("vgg16")
    with pytest.raises(ValueError, match="does not exist"):
        build_backbone("vgg16", tmp_path / "nope.pth")


def test_generated_backbone_takes_no_file_and_metrics_open_it_through_the_registry(tmp_path):
    with pytest.raises(ValueError, match="takes no weight file"):
        build_backbone("random_inception", tmp_path / "w.pth")
    net = build_backbone("random_inception", resize=False)
    assert net.weights_file is None and not net.net.resize
    assert state_dict_sha256(net.net.state_dict()) == state_dict_sha256(random_inception_state_dict())
    feature_net = open_feature_net("random_inception")
    assert isinstance(feature_net.net, FrozenBackbone) and feature_net.net.name == "random_inception"


def test_backbones_import_no_metrics_models_or_train():
    root = Path(backbones_pkg.__file__).parent
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not re.match(r"ganforge\.(metrics|models|train)\b", name), f"{path.name} imports {name}"
