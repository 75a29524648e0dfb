"""DCGAN-family baselines: shapes at every power-of-two resolution, the three differ only in their blocks, CSP blocks
are lighter than residual ones, conditional variants use the labels, spectral norm gives sigma ~ 1."""

import pytest
import torch
from torch import nn

from ganforge.models import build_discriminator, build_generator, list_models, model_config
from ganforge.models.dcgan.blocks import CSPBlock, PlainBlock, ResBlock, make_stage

NAMES = ["dcgan", "dcgan-resnet", "dcgan-csp"]


def _count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("res", [8, 16])
def test_shapes_and_attributes(name, res):
    cfg = model_config(name, img_resolution=res, img_channels=3, z_dim=8, channel_base=128, channel_max=16)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert (G.z_dim, G.c_dim, G.img_resolution, G.img_channels) == (8, 0, res, 3)
    img = G(torch.randn(4, 8), None, noise_mode="const")  # StyleGAN call convention is accepted
    assert img.shape == (4, 3, res, res) and img.abs().max() <= 1
    assert D(img, None).shape == (4, 1)
    with pytest.raises(ValueError, match="shape"):
        D(torch.zeros(4, 3, res * 2, res * 2))


def test_registered_and_differ_only_in_blocks():
    assert set(NAMES) <= set(list_models())
    structure = {}
    for name in NAMES:
        cfg = model_config(name, img_resolution=16, z_dim=8, channel_base=128, channel_max=16)
        G = build_generator(cfg)
        stage_types = {type(m).__name__ for stage in G.stages for m in stage.modules()} & {"PlainBlock", "ResBlock", "CSPBlock"}
        structure[name] = stage_types
        # stem and to_rgb are the same in all three
        assert [p.shape for p in G.stem.parameters()] == [torch.Size([8, 16, 4, 4]), torch.Size([16]), torch.Size([16])]
        assert G.to_rgb.weight.shape == (3, 8, 3, 3)
    assert structure == {"dcgan": {"PlainBlock"}, "dcgan-resnet": {"ResBlock"}, "dcgan-csp": {"CSPBlock", "ResBlock"}}


@pytest.mark.parametrize("up", [True, False])
@pytest.mark.parametrize("cin,cout", [(16, 16), (32, 16), (16, 8)])
def test_csp_block_shapes_and_fewer_parameters_than_residual(up, cin, cout):
    x = torch.randn(2, cin, 8, 8)
    csp, res = CSPBlock(cin, cout, up), ResBlock(cin, cout, up)
    size = 16 if up else 4
    assert csp(x).shape == res(x).shape == PlainBlock(cin, cout, up)(x).shape == (2, cout, size, size)
    assert _count(csp) < _count(res)
    # the stack runs on half the channels; the other half only crosses (1x1 conv) to the transition
    assert csp.stack[0].main[0].in_channels == cin // 2 and csp.cross[1].in_channels == cin - cin // 2
    deep = make_stage("csp", cin, cout, up, depth=3)
    assert deep(x).shape == (2, cout, size, size) and len(deep.stack) == 3


def test_csp_uses_both_halves():
    """Changing only the bypassed half of the input changes the output (the cross-stage path is live)."""
    torch.manual_seed(0)
    block = CSPBlock(8, 8, up=False).eval()
    x = torch.randn(2, 8, 8, 8)
    y = x.clone()
    y[:, 4:] += 1.0
    z = x.clone()
    z[:, :4] += 1.0
    assert not torch.allclose(block(x), block(y)) and not torch.allclose(block(x), block(z))


@pytest.mark.parametrize("name", NAMES)
def test_conditional_variants_use_labels(name):
    cfg = model_config(name, img_resolution=8, c_dim=3, z_dim=8, channel_base=64, channel_max=16)
    G, D = build_generator(cfg).eval(), build_discriminator(cfg).eval()
    z = torch.randn(2, 8)
    c0, c1 = torch.eye(3)[[0, 0]], torch.eye(3)[[1, 1]]
    assert not torch.allclose(G(z, c0), G(z, c1))
    img = G(z, c0)
    with torch.no_grad():
        D.embed.weight.normal_()  # the projection starts random anyway; make the dependence obvious
    assert not torch.allclose(D(img, c0), D(img, c1))
    with pytest.raises(ValueError, match="conditional"):
        G(z, None)


def test_spectral_norm_sigma_is_one():
    torch.manual_seed(0)
    cfg = model_config("dcgan-resnet", img_resolution=16, z_dim=8, channel_base=128, channel_max=16,
                       spectral_norm=True, d_norm="none")
    D = build_discriminator(cfg).train()
    x = torch.randn(4, 3, 16, 16)
    for _ in range(30):  # power iteration converges over training forwards
        D(x)
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers and all(hasattr(m, "parametrizations") for m in layers)
    for m in layers:
        w = m.weight.detach().flatten(1)  # the normalised weight W / sigma
        assert torch.linalg.matrix_norm(w, ord=2).item() == pytest.approx(1.0, abs=0.05)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in D.modules())


def test_bad_config_is_one_value_error():
    with pytest.raises(ValueError, match="img_resolution"):
        model_config("dcgan", img_resolution=24)
    with pytest.raises(ValueError, match="depth"):
        model_config("dcgan-csp", depth=0)
