import pytest
import torch
from torch import nn

from ganforge.backbones.vgg import LPIPS_STAGE_CHANNELS, TorchScriptVGG16, VGG16, load_vgg16



def _img(n: int = 2, size: int = 32) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, size, size), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)


def test_torchvision_layout_and_shapes():
    net = VGG16(resize=False)
    keys = list(net.state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"] and keys[-1] == "classifier.6.bias"
    assert "features.28.weight" in keys and len(keys) == 32
    assert sum(p.numel() for p in net.parameters()) == 138_357_544  # torchvision vgg16
    with torch.no_grad():
        feats = net(_img())
        stages = net.stages(torch.randn(1, 3, 32, 32))
    assert feats.shape == (2, 4096) and bool((feats >= 0).all())  # post-ReLU fc2
    assert [s.shape[1] for s in stages] == list(LPIPS_STAGE_CHANNELS)
    assert [s.shape[-1] for s in stages] == [32, 16, 8, 4, 2]


def test_conv_state_dict_round_trip(tmp_path):
    net = VGG16(with_classifier=False)
    path = tmp_path / "vgg16.pth"
    torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, path)
    loaded = load_vgg16(path, with_classifier=False)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert all(torch.equal(a, b) for a, b in zip(net.stages(x), loaded.stages(x)))


@pytest.mark.slow
def test_full_round_trip(tmp_path):
    net = VGG16(resize=False)
    path = tmp_path / "vgg16-full.pth"
    torch.save(net.state_dict(), path)
    loaded = load_vgg16(path)
    loaded.resize = False
    with torch.no_grad():
        assert torch.equal(net(_img()), loaded(_img()))


def test_wrong_layout_rejected(tmp_path):
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="not a torchvision VGG16"):
        load_vgg16(tmp_path / "bad.pth", with_classifier=False)


class _StandIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 4096)

    def forward(self, img: torch.Tensor, resize_images: bool = True, return_lpips: bool = False,
                return_features: bool = False) -> torch.Tensor:
        feats = self.proj(img.to(torch.float32).mean(dim=(2, 3)))
        if return_lpips:
            return feats / feats.pow(2).sum(1, keepdim=True).sqrt()
        return feats


def test_torchscript_path(tmp_path):
    stand_in = _StandIn()
    path = tmp_path / "vgg16.pt"
    torch.jit.script(stand_in).save(str(path))
    loaded = load_vgg16(path)
    assert isinstance(loaded, TorchScriptVGG16)
    x = _img()
    with torch.no_grad():
        assert torch.allclose(loaded(x), stand_in(x, return_features=True))
        assert torch.allclose(loaded.lpips_features(x).norm(dim=1), torch.ones(2))


def test_lpips_heads_round_trip_and_hand_case(tmp_path):
    from ganforge.backbones.lpips import LPIPS, load_lpips

    vgg = VGG16(with_classifier=False)
    torch.save(vgg.state_dict(), tmp_path / "vgg16.pth")
    net = LPIPS(vgg)
    with torch.no_grad():
        for k in range(5):
            getattr(net, f"lin{k}").model[1].weight.uniform_(0, 1)
    heads = net.heads_state_dict()
    assert sorted(heads) == [f"lin{k}.model.1.weight" for k in range(5)]
    torch.save(heads, tmp_path / "vgg.pth")
    loaded = load_lpips(tmp_path / "vgg16.pth", tmp_path / "vgg.pth")
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1, torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    with torch.no_grad():
        d = net(x0, x1)
        assert torch.equal(d, loaded(x0, x1))
        assert torch.allclose(net(x1, x0), d) and bool((d > 0).all())
        assert torch.equal(net(x0, x0), torch.zeros(2))
        # Hand formula: sum_l mean_hw sum_c w_c (unit-normalised difference)^2.
        shift = torch.tensor([-0.030, -0.088, -0.188]).view(1, 3, 1, 1)
        scale = torch.tensor([0.458, 0.448, 0.450]).view(1, 3, 1, 1)
        f0, f1 = vgg.stages((x0 - shift) / scale), vgg.stages((x1 - shift) / scale)
        want = torch.zeros(2)
        for k, (a, b) in enumerate(zip(f0, f1)):
            a, b = a / (a.norm(dim=1, keepdim=True) + 1e-10), b / (b.norm(dim=1, keepdim=True) + 1e-10)
            w = heads[f"lin{k}.model.1.weight"].view(1, -1, 1, 1)
            want += ((a - b) ** 2 * w).sum(1).mean(dim=(1, 2))
        assert torch.allclose(d, want, rtol=1e-5)
    torch.save({"lin0.model.1.weight": torch.zeros(1, 3, 1, 1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="not an LPIPS"):
        load_lpips(tmp_path / "vgg16.pth", tmp_path / "bad.pth")
