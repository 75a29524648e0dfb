import pytest
import torch

from ganforge.models.stylegan2 import Discriminator, Generator
from tests.conftest import TINY_D, TINY_G


@pytest.mark.parametrize("arch", ["orig", "skip", "resnet"])
@pytest.mark.parametrize("res", [8, 16, 32])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_output_shapes(arch, res, channels):
    G = Generator(img_resolution=res, img_channels=channels, architecture=arch, **TINY_G)
    D = Discriminator(img_resolution=res, img_channels=channels, architecture=arch, **TINY_D)
    img = G(torch.randn(4, 16))
    assert img.shape == (4, channels, res, res) and torch.isfinite(img).all()
    assert G.num_ws == 2 * (res.bit_length() - 3) + 2
    assert D(img).shape == (4, 1)


def test_conditional_shapes_and_label_effect():
    G = Generator(c_dim=5, img_resolution=8, **TINY_G).eval()
    D = Discriminator(c_dim=5, img_resolution=8, **TINY_D)
    z = torch.randn(4, 16)
    c = torch.eye(5)[:4]
    img = G(z, c, noise_mode="const")
    assert img.shape == (4, 3, 8, 8) and D(img, c).shape == (4, 1)
    assert not torch.allclose(img, G(z, torch.eye(5)[1:5], noise_mode="const"))


def test_ws_style_mixing_input():
    G = Generator(img_resolution=16, **TINY_G).eval()
    ws = G.mapping(torch.randn(2, 16), None)  # [N, num_ws, w_dim]
    assert ws.shape == (2, G.num_ws, 16)
    mixed = ws.clone()
    mixed[0, 3:] = ws[1, 3:]
    out = G.synthesis(torch.cat([ws, mixed]), noise_mode="const")
    assert out.shape == (4, 3, 16, 16)
    assert not torch.allclose(out[0], out[2])  # mixed fine styles change the image
    torch.testing.assert_close(G.synthesis(ws, noise_mode="const"), out[:2])


def test_truncation():
    G = Generator(img_resolution=8, **TINY_G).eval()
    G.mapping.w_avg.normal_()
    z = torch.randn(3, 16)
    ws = G.mapping(z, None)
    torch.testing.assert_close(G.mapping(z, None, truncation_psi=0), G.mapping.w_avg.expand_as(ws))
    torch.testing.assert_close(G.mapping(z, None, truncation_psi=1), ws)
    half = G.mapping(z, None, truncation_psi=0.5, truncation_cutoff=2)
    torch.testing.assert_close(half[:, :2], G.mapping.w_avg + 0.5 * (ws[:, :2] - G.mapping.w_avg))
    torch.testing.assert_close(half[:, 2:], ws[:, 2:])


def test_w_avg_tracks_moving_average():
    G = Generator(img_resolution=8, w_avg_beta=0.9, **TINY_G)
    z = torch.randn(8, 16)
    w = G.mapping(z, None)[:, 0]
    G.mapping(z, None, update_emas=True)
    torch.testing.assert_close(G.mapping.w_avg, 0.1 * w.mean(dim=0))  # lerp from 0 towards the batch mean


def test_discriminator_mbstd_group_permutation():
    D = Discriminator(img_resolution=8, mbstd_group_size=2, **TINY_D)
    x = torch.randn(4, 3, 8, 8)
    y = D(x)
    within = torch.tensor([2, 1, 0, 3])  # swaps the two members of group {0, 2}
    torch.testing.assert_close(D(x[within]), y[within])
    across = torch.tensor([1, 0, 2, 3])  # moves samples between groups: the statistics change
    assert not torch.allclose(D(x[across]), y[across], atol=1e-6)


def test_gradients_reach_every_parameter():
    for arch in ["orig", "skip", "resnet"]:
        G = Generator(c_dim=3, img_resolution=8, architecture=arch, **TINY_G)
        D = Discriminator(c_dim=3, img_resolution=8, architecture=arch, **TINY_D)
        c = torch.eye(3)[[0, 1, 2, 0]]
        D(G(torch.randn(4, 16), c, noise_mode="random"), c).sum().backward()
        for name, module in (("G", G), ("D", D)):
            for pname, p in module.named_parameters():
                assert p.grad is not None and p.grad.abs().sum() > 0, f"{arch} {name}.{pname} gets no gradient"


def test_inference_fast_path_matches_autograd_path():
    G = Generator(img_resolution=16, conv_clamp=0.8, **TINY_G).eval()
    for p in G.parameters():
        p.data.add_(0.1 * torch.randn_like(p))  # non-zero noise strengths and biases
    z = torch.randn(3, 16)
    for mode in ["const", "none", "random"]:
        torch.manual_seed(1)
        a = G(z, noise_mode=mode)
        with torch.no_grad():
            torch.manual_seed(1)
            b = G(z, noise_mode=mode)
            c = G.synthesis(G.mapping(z, None), noise_mode=mode, channels_last=False) if mode != "random" else b
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(b, c, rtol=1e-4, atol=1e-5)


def test_fused_and_nonfused_generators_agree():
    G = Generator(img_resolution=16, **TINY_G).eval()
    z = torch.randn(3, 16)
    with torch.no_grad():
        torch.testing.assert_close(G(z, noise_mode="const", fused_modconv=True), G(z, noise_mode="const", fused_modconv=False), rtol=1e-4, atol=1e-5)


def test_noise_modes():
    G = Generator(img_resolution=8, **TINY_G).eval()
    for name, p in G.named_parameters():
        if name.endswith("noise_strength"):
            p.data.fill_(1.0)
    z = torch.randn(2, 16)
    torch.testing.assert_close(G(z, noise_mode="const"), G(z, noise_mode="const"))
    assert not torch.allclose(G(z, noise_mode="random"), G(z, noise_mode="random"))
    assert not torch.allclose(G(z, noise_mode="none"), G(z, noise_mode="const"))
    with pytest.raises(ValueError, match="noise_mode"):
        G(z, noise_mode="fixed")


@pytest.mark.parametrize("make,match", [
    (lambda: Generator(img_resolution=24, **TINY_G), "img_resolution"),
    (lambda: Generator(img_resolution=2, **TINY_G), "img_resolution"),
    (lambda: Generator(img_resolution=8, img_channels=5, **TINY_G), "img_channels"),
    (lambda: Generator(img_resolution=8, architecture="unet", **TINY_G), "architecture"),
    (lambda: Discriminator(img_resolution=12, **TINY_D), "img_resolution"),
    (lambda: Discriminator(img_resolution=8, img_channels=0, **TINY_D), "img_channels"),
])
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_forward_inputs():
    G = Generator(c_dim=2, img_resolution=8, **TINY_G)
    D = Discriminator(img_resolution=8, **TINY_D)
    with pytest.raises(ValueError, match=r"^z must have shape"):
        G(torch.randn(2, 15), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"^c must"):
        G(torch.randn(2, 16))
    with pytest.raises(ValueError, match=r"^c must have shape"):
        G(torch.randn(2, 16), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^img must have shape"):
        D(torch.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match=r"^ws must have shape"):
        G.synthesis(torch.randn(2, 3, 16))
    with pytest.raises(ValueError, match=r"^c must be None"):
        D(torch.randn(2, 3, 8, 8), torch.zeros(2, 2))


@pytest.mark.parametrize("arch", ["orig", "skip", "resnet"])
def test_discriminator_memory_format_does_not_change_logits_or_r1_grads(arch):
    D = Discriminator(img_resolution=16, architecture=arch, **TINY_D)
    img = torch.randn(4, 3, 16, 16, requires_grad=True)
    outs = []
    for channels_last in (False, True):
        logits = D(img, channels_last=channels_last)
        (grad,) = torch.autograd.grad(logits.sum(), img)
        outs.append((logits, grad))
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(outs[0][1], outs[1][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mbstd_group_size,n", [(4, 8), (2, 6), (4, 3), (None, 4)])
def test_discriminator_forward_many_equals_separate_calls(mbstd_group_size, n):
    D = Discriminator(img_resolution=16, c_dim=3, mbstd_group_size=mbstd_group_size, **TINY_D)
    imgs = [torch.randn(n, 3, 16, 16, requires_grad=True) for _ in range(2)]
    cs = [torch.nn.functional.one_hot(torch.arange(n) % 3, 3).float() for _ in range(2)]
    merged = D.forward_many(imgs, cs)
    separate = [D(img, c) for img, c in zip(imgs, cs)]
    for a, b in zip(merged, separate):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # gradients wrt each input (as R1 needs) agree too, and segment 1 does not depend on segment 0
    g_merged = torch.autograd.grad(merged[1].sum(), imgs, allow_unused=True)
    g_sep = torch.autograd.grad(separate[1].sum(), imgs[1])
    assert g_merged[0] is None or float(g_merged[0].abs().max()) == 0.0
    torch.testing.assert_close(g_merged[1], g_sep[0], rtol=1e-5, atol=1e-6)
