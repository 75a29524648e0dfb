import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganforge.backbones.inception import (
    FIDInceptionV3,
    TorchScriptInception,
    load_inception,
    map_inception_state_dict,
    tf1_resize_bilinear,
)



@pytest.fixture(scope="module")
def net() -> FIDInceptionV3:
    torch.manual_seed(1)
    n = FIDInceptionV3(resize=False)
    with torch.no_grad():  # non-trivial BN stats so that a wrong mapping would show up
        for m in n.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return n


def _img(n: int = 1, size: int = 75) -> torch.Tensor:
    return torch.randint(0, 256, (n, 3, size, size), generator=torch.Generator().manual_seed(3), dtype=torch.uint8)


def test_resize_hand_computed():
    # TF1 align_corners=False: output i samples source i * in/out; 2 -> 4 gives 0, 0.5, 1, 1.5 (clamped).
    x = torch.tensor([[[[0.0, 10.0], [20.0, 30.0]]]])
    y = tf1_resize_bilinear(x, (4, 4))
    assert torch.allclose(y[0, 0, 0], torch.tensor([0.0, 5.0, 10.0, 10.0]))
    assert torch.allclose(y[0, 0, :, 0], torch.tensor([0.0, 10.0, 20.0, 20.0]))
    assert y[0, 0, 1, 1] == 15.0
    # 4 -> 2 takes every other pixel (no half-pixel centres, no antialias).
    z = torch.arange(16.0).reshape(1, 1, 4, 4)
    assert torch.equal(tf1_resize_bilinear(z, (2, 2)), z[:, :, ::2, ::2])


def test_resize_matches_shifted_grid_sample():
    # The affine_grid + grid_sample(border) formulation with theta shifted by 1/in - 1/out (REFERENCE §2a).
    x = torch.rand(2, 3, 17, 23, dtype=torch.float64)
    theta = torch.tensor([[1.0, 0, 1 / 23 - 1 / 31], [0, 1.0, 1 / 17 - 1 / 29]], dtype=torch.float64)
    theta = theta[None].repeat(2, 1, 1)
    grid = F.affine_grid(theta, [2, 3, 29, 31], align_corners=False)
    ref = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    assert torch.allclose(tf1_resize_bilinear(x, (29, 31)), ref, atol=1e-10)


def test_output_shapes(net):
    with torch.no_grad():
        feats, logits = net(_img(2), return_logits=True)
    assert feats.shape == (2, 2048) and logits.shape == (2, 1008)
    assert sum(p.numel() for p in net.parameters()) == 23_850_960  # torchvision Inception3 minus aux, 1008-way fc


def test_output_shapes_at_299():
    n = FIDInceptionV3()
    with torch.no_grad():
        feats, logits = n(_img(1, 40), return_logits=True)
    assert feats.shape == (1, 2048) and logits.shape == (1, 1008)


def test_state_dict_round_trip(net, tmp_path):
    path = tmp_path / "ours.pth"
    torch.save(net.state_dict(), path)
    loaded = load_inception(path)
    loaded.resize = False
    x = _img()
    with torch.no_grad():
        assert torch.equal(net(x), loaded(x))


def test_safetensors_round_trip(net, tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "ours.safetensors"
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    loaded = load_inception(path)
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in net.state_dict().items())


def test_pytorch_fid_layouts_map(net, tmp_path):
    ours = net.state_dict()
    # pt_inception-...pth / torch-fidelity layout: torchvision names, no num_batches_tracked, plus DataParallel prefix.
    flat = {f"module.{k}": v for k, v in ours.items() if not k.endswith("num_batches_tracked")}
    assert map_inception_state_dict(flat).keys() == {k for k in ours if not k.endswith("num_batches_tracked")}
    torch.save(flat, tmp_path / "pt_inception.pth")
    loaded = load_inception(tmp_path / "pt_inception.pth")
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in ours.items() if "num_batches" not in k)
    # pytorch-fid InceptionV3 wrapper layout: blocks.<i>.<j>.*, no fc.
    order = ["blocks.0.0", "blocks.0.1", "blocks.0.2", "blocks.1.0", "blocks.1.1"] + [
        f"blocks.2.{j}" for j in range(8)] + [f"blocks.3.{j}" for j in range(3)]
    names = [n for n, _ in net.named_children() if n != "fc"]
    wrapped = {}
    for k, v in ours.items():
        head, _, tail = k.partition(".")
        if head != "fc":
            wrapped[f"{order[names.index(head)]}.{tail}"] = v
    mapped = map_inception_state_dict(wrapped)
    assert mapped.keys() == {k for k in ours if not k.startswith("fc.") and "num_batches" not in k}
    assert all(torch.equal(mapped[k], ours[k]) for k in mapped)
    torch.save(wrapped, tmp_path / "wrapper.pth")
    loaded = load_inception(tmp_path / "wrapper.pth")
    assert not loaded.has_classifier  # no fc in this layout: features work, logits refuse
    with pytest.raises(ValueError, match="no 'fc'"):
        loaded.logits(torch.zeros(1, 2048))


def test_wrong_state_dict_is_rejected(tmp_path):
    torch.save({"blocks.9.0.conv.weight": torch.zeros(1)}, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="not an FID Inception"):
        load_inception(tmp_path / "bad.pth")


class _StandIn(nn.Module):
    """Tiny stand-in with the NVIDIA TorchScript forward signature."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 2048)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, img: torch.Tensor, return_features: bool = False, use_fp16: bool = False,
                no_output_bias: bool = False) -> torch.Tensor:
        x = (img.to(torch.float32) - 128) / 128
        feats = self.proj(x.mean(dim=(2, 3)))
        if return_features:
            return feats
        if no_output_bias:
            return F.linear(feats, self.fc.weight)
        return self.fc(feats)


def test_torchscript_path(tmp_path):
    stand_in = _StandIn()
    path = tmp_path / "inception-2015-12-05.pt"
    torch.jit.script(stand_in).save(str(path))
    loaded = load_inception(path)
    assert isinstance(loaded, TorchScriptInception)
    x = _img(2, 16)
    feats, logits = loaded(x, return_logits=True)
    assert feats.shape == (2, 2048) and logits.shape == (2, 1008)
    with torch.no_grad():
        assert torch.allclose(feats, stand_in(x, return_features=True))
        assert torch.allclose(logits, stand_in(x, no_output_bias=True))
