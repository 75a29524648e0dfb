"""R3GAN family: residual branches start at exactly zero (G and D are their skip paths), the fix-up scale, grouped-conv
shapes at every resolution, conditioning, image channels, config and checkpoint round trips, seed semantics of
``ganforge generate``, and a few training steps that move every parameter."""

import copy
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from ganforge.models import build_discriminator, build_generator, model_config, model_config_from_dict
from ganforge.models.network import generator_caps
from ganforge.models.r3gan import R3GANConfig, ResidualBlock, fixup_scale
from ganforge.models.r3gan.layers import LRELU_GAIN, DiscriminativeBasis, DownTransition, UpTransition

TINY = dict(z_dim=8, channel_base=128, channel_max=16, group_size=8, embed_dim=8)


def _tiny(**kwargs) -> R3GANConfig:
    return model_config("r3gan", **{"img_resolution": 16, **TINY, **kwargs})


def _blocks(net: nn.Module) -> list[ResidualBlock]:
    return [m for m in net.modules() if isinstance(m, ResidualBlock)]


def _without_branches(net: nn.Module) -> nn.Module:
    """A copy of ``net`` with every residual block replaced by its skip path (the identity)."""
    skip = copy.deepcopy(net)
    for stage in skip.stages.values():
        for i, layer in enumerate(stage):
            if isinstance(layer, ResidualBlock):
                stage[i] = nn.Identity()
    assert not _blocks(skip)
    return skip


@pytest.mark.parametrize("c_dim", [0, 3])
def test_residual_branches_are_exactly_zero_at_init(c_dim):
    torch.manual_seed(0)
    cfg = _tiny(c_dim=c_dim, blocks_per_stage=2)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert len(_blocks(G)) == len(_blocks(D)) == 3 * 2
    for block in _blocks(G) + _blocks(D):
        x = torch.randn(2, block.project.weight.shape[0], 4, 4)
        assert torch.equal(block.branch(x), torch.zeros_like(x)) and torch.equal(block(x), x)
    z = torch.randn(4, 8)
    c = torch.eye(3)[[0, 1, 2, 0]] if c_dim else None
    img = G(z, c)
    assert torch.equal(img, _without_branches(G)(z, c))
    assert torch.equal(D(img, c), _without_branches(D)(img, c))
    with torch.no_grad():  # not vacuous: once a projection is non-zero the block matters
        _blocks(G)[0].project.weight.normal_()
    assert not torch.equal(G(z, c), _without_branches(G)(z, c))


@pytest.mark.parametrize("num_blocks,m", [(1, 3), (8, 3), (12, 3), (16, 2), (30, 4)])
def test_fixup_scale_is_the_formula(num_blocks, m):
    assert fixup_scale(num_blocks, m) == pytest.approx(num_blocks ** (-1 / (2 * m - 2)), rel=1e-12)
    with pytest.raises(ValueError):
        fixup_scale(0)


def test_initial_weight_scales_follow_fixup_for_the_network_depth():
    """Non-final branch layers: He std (leaky ReLU gain) times ``L ** (-1/4)`` with L counted over the whole net."""
    torch.manual_seed(0)
    cfg = model_config("r3gan", img_resolution=32, channel_base=4096, channel_max=128, blocks_per_stage=3)
    assert cfg.num_blocks == 12
    for net in (build_generator(cfg), build_discriminator(cfg)):
        block = net.stages["b8"][1]
        for conv in (block.expand, block.grouped):
            want = LRELU_GAIN * 12 ** -0.25 / math.sqrt(conv.fan_in)
            assert conv.weight.std().item() == pytest.approx(want, rel=0.03)
        assert conv.fan_in == 16 * 9  # grouped 3x3: fan-in is one group
        assert torch.count_nonzero(block.project.weight) == 0
        assert all(torch.count_nonzero(b.act1.bias) == 0 for b in _blocks(net))


CASES = [dict(channel_base=4096, channel_max=128, group_size=16, expansion=2),
         dict(channel_base=32768, channel_max=512, group_size=16, expansion=2),
         dict(channel_base=2048, channel_max=64, group_size=8, expansion=4),
         dict(channel_base=512, channel_max=32, group_size=32, expansion=1)]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("res", [2 ** i for i in range(3, 11)])
def test_grouped_block_shapes_at_every_resolution(res, case):
    """Parameter shapes from the config at 8..1024 px (built, not run: no forward at the big resolutions)."""
    kw = CASES[case]
    cfg = model_config("r3gan", img_resolution=res, img_channels=3, **kw)
    g, e = kw["group_size"], kw["expansion"]
    widths = cfg.channel_dict()
    assert list(widths) == [2 ** i for i in range(2, res.bit_length())]
    assert all(w % g == 0 and w <= kw["channel_max"] for w in widths.values())
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert list(G.stages) == [f"b{r}" for r in widths] and list(D.stages) == [f"b{r}" for r in reversed(widths)]
    for net in (G, D):
        for r, width in widths.items():
            blocks = [m for m in net.stages[f"b{r}"] if isinstance(m, ResidualBlock)]
            assert len(blocks) == cfg.blocks_per_stage
            for block in blocks:
                assert block.expand.weight.shape == (width * e, width, 1, 1)
                assert block.grouped.weight.shape == (width * e, g, 3, 3) and block.grouped.groups == width * e // g
                assert block.project.weight.shape == (width, width * e, 1, 1)
    for r, width in widths.items():
        if r > 4:
            up, down = G.stages[f"b{r}"][0], D.stages[f"b{r}"][-1]
            assert isinstance(up, UpTransition) and isinstance(down, DownTransition)
            prev = widths[r // 2]
            assert (up.conv is None) == (prev == width) and (down.conv is None) == (prev == width)
            if up.conv is not None:
                assert up.conv.weight.shape == (width, prev, 1, 1) and down.conv.weight.shape == (prev, width, 1, 1)
    assert G.stages["b4"][0].basis.shape == (widths[4], 4, 4) and G.stages["b4"][0].weight.shape == (widths[4], 64)
    head = D.stages["b4"][-1]
    assert isinstance(head, DiscriminativeBasis) and head.basis.weight.shape == (widths[4], 1, 4, 4)
    assert head.weight.shape == (1, widths[4])
    assert G.to_img.weight.shape == (3, widths[res], 1, 1) and D.from_img.weight.shape == (widths[res], 3, 1, 1)


@pytest.mark.parametrize("res", [8, 16, 64])
@pytest.mark.parametrize("img_channels", [1, 3, 4])
def test_forward_shapes_and_image_channels(res, img_channels):
    cfg = _tiny(img_resolution=res, img_channels=img_channels)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert generator_caps(G).has_mapping is False and G.capabilities.num_ws == 0
    img = G(torch.randn(2, 8), None, noise_mode="const", truncation_psi=1.0)  # StyleGAN call kwargs are ignored
    assert img.shape == (2, img_channels, res, res) and torch.isfinite(img).all()
    assert D(img, None).shape == (2, 1)
    with pytest.raises(ValueError, match="shape"):
        D(torch.zeros(2, img_channels, res * 2, res * 2))
    with pytest.raises(ValueError, match="shape"):
        G(torch.randn(2, 9))


def test_non_square_basis():
    cfg = _tiny(img_resolution=32, init_res=(2, 4))
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert G.stages["b4"][0].basis.shape[1:] == (2, 4) and G.img_shape == (16, 32)
    img = G(torch.randn(3, 8))
    assert img.shape == (3, 3, 16, 32) and D(img).shape == (3, 1)


def test_conditional_generator_and_discriminator_use_labels():
    torch.manual_seed(0)
    cfg = _tiny(img_resolution=8, c_dim=3)
    G, D = build_generator(cfg), build_discriminator(cfg)
    z = torch.randn(2, 8)
    c0, c1 = torch.eye(3)[[0, 0]], torch.eye(3)[[1, 1]]
    assert not torch.allclose(G(z, c0), G(z, c1))
    img = G(z, c0)
    assert D(img, c0).shape == (2, 1) and not torch.allclose(D(img, c0), D(img, c1))
    assert G.embed.shape == (8, 3) and D.embed.shape == (8, 3) and D.stages["b4"][-1].weight.shape == (8, 16)
    with pytest.raises(ValueError, match="conditional"):
        G(z, None)
    with pytest.raises(ValueError, match="conditional"):
        D(img, None)


def test_config_json_round_trip_and_errors():
    cfg = _tiny(c_dim=5, widths=(16, 16, 8), group_size=8, init_res=(4, 2))
    data = json.loads(cfg.to_json())
    assert data["widths"] == [16, 16, 8] and data["init_res"] == [4, 2] and data["name"] == "r3gan"
    assert R3GANConfig.from_json(cfg.to_json()) == cfg == model_config_from_dict(data)
    assert cfg.channel_dict() == {4: 16, 8: 16, 16: 8}
    G = build_generator(cfg)
    assert G.stages["b16"][0].conv.weight.shape == (8, 16, 1, 1)
    with pytest.raises(ValueError, match="img_resolution"):
        model_config("r3gan", img_resolution=2048)
    with pytest.raises(ValueError, match="img_resolution"):
        model_config("r3gan", img_resolution=4)
    with pytest.raises(ValueError, match="widths must list 3"):
        _tiny(widths=(16, 16))
    with pytest.raises(ValueError, match="group_size"):
        _tiny(widths=(16, 16, 10))
    with pytest.raises(ValueError, match="unknown key"):
        R3GANConfig.from_dict({"name": "r3gan", "w_dim": 8})


def test_checkpoint_round_trip(tmp_path):
    from ganforge.inference import open_networks
    from ganforge.train.checkpoint import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    cfg = _tiny(c_dim=2)
    G, D = build_generator(cfg), build_discriminator(cfg)
    with torch.no_grad():  # trained-looking weights: branches no longer zero
        for p in list(G.parameters()) + list(D.parameters()):
            p.add_(torch.randn_like(p) * 0.05)
    opts = {"G": torch.optim.Adam(G.parameters()), "D": torch.optim.Adam(D.parameters())}
    path = save_checkpoint(tmp_path / "net.safetensors", modules={"G": G, "D": D, "G_ema": G}, optimizers=opts,
                           config={"model": {"family": "r3gan", "arch": cfg.to_dict()}}, state={"cur_nimg": 0})
    assert load_checkpoint(path).model_config() == cfg
    net = open_networks(path)
    z, c = torch.randn(3, 8), torch.eye(2)[[0, 1, 1]]
    with torch.no_grad():
        assert torch.equal(net.G(z, c), G(z, c))
        img = G(z, c)
        assert torch.equal(net.build("D")(img, c), D(img, c))


@pytest.fixture
def trained(tmp_path):
    from ganforge.train.loop import train
    from tests.train.test_loop import make_folder_dataset, tiny_config

    data = make_folder_dataset(tmp_path / "data")
    model = _tiny(channel_base=256, channel_max=16, blocks_per_stage=1)
    result = train(tiny_config(data, tmp_path / "runs", model=model.to_dict(), kimg=0.016, num_threads=1))
    return result, model


def test_training_changes_every_parameter_and_generate_uses_seed_semantics(trained, tmp_path):
    from ganforge.cli.main import main
    from ganforge.train.checkpoint import load_checkpoint
    from ganforge.utils.images import to_uint8

    result, model = trained
    ckpt = load_checkpoint(result.last_checkpoint)
    assert ckpt.state["train"]["cur_nimg"] == 16 and ckpt.model_config() == model
    torch.manual_seed(ckpt.config["run"]["seed"])
    G0, D0 = build_generator(model), build_discriminator(model)
    for name, init in (("G", G0), ("D", D0)):
        for key, value in init.named_parameters():
            trained_value = ckpt.modules[name][key]
            assert torch.isfinite(trained_value).all(), f"{name}.{key} has NaN/inf"
            assert not torch.equal(trained_value, value.detach()), f"{name}.{key} did not change"
    out = tmp_path / "gen"
    assert main(["generate", "--network", str(result.last_checkpoint), "--seeds", "3,7", "--outdir", str(out)]) == 0
    G_ema = build_generator(model).eval()
    G_ema.load_state_dict(ckpt.modules["G_ema"])
    for seed in (3, 7):
        z = torch.from_numpy(np.random.RandomState(seed).randn(model.z_dim)).float()[None]
        with torch.no_grad():
            want = to_uint8(G_ema(z, None))[0]
        with Image.open(out / f"seed{seed:04d}.png") as img:
            assert np.array_equal(np.asarray(img), want)
