"""StyleGAN3: shapes of T and R, the paper's layer schedule and the official names, the Fourier input under a
transform, the magnitude EMA, config errors and a checkpoint round trip."""

import math

import pytest
import torch

from ganforge.models import build_discriminator, build_generator, model_config, model_config_from_dict
from ganforge.models.network import generator_caps
from ganforge.models.stylegan3 import StyleGAN3Config, SynthesisInput, layer_schedule, user_transform

TINY = dict(z_dim=16, w_dim=16, channel_base=512, channel_max=16, mbstd_group_size=2)


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("cfg", ["t", "r"])
@pytest.mark.parametrize("res", [16, 32, 64])
def test_forward_shapes_of_t_and_r(cfg, res):
    config = model_config("stylegan3", cfg=cfg, img_resolution=res, img_channels=3, **TINY)
    G, D = build_generator(config).eval(), build_discriminator(config)
    with torch.no_grad():
        img = G(torch.randn(2, 16))
        assert img.shape == (2, 3, res, res) and torch.isfinite(img).all()
        assert D(img).shape == (2, 1)
    caps = generator_caps(G)
    assert caps.has_mapping and not caps.has_noise and caps.num_ws == 16 == G.synthesis.num_ws
    kernels = {getattr(G.synthesis, n).weight.shape[-1] for n in G.synthesis.layer_names[:-1]}
    assert kernels == ({3} if cfg == "t" else {1})
    radial = [getattr(G.synthesis, n).down_filter.ndim == 2 for n in G.synthesis.layer_names
              if getattr(G.synthesis, n).down_filter is not None]
    assert any(radial) == (cfg == "r") and all(f.ndim == 1 for n in G.synthesis.layer_names[-3:]
                                               if (f := getattr(G.synthesis, n).down_filter) is not None)


def test_schedule_follows_the_paper():
    s = layer_schedule(256, 3, channel_base=32768, channel_max=512)
    assert len(s.cutoffs) == 15 and s.cutoffs[0] == 2 and s.cutoffs[-3:] == (128, 128, 128)
    assert s.stopbands[0] == pytest.approx(2 ** 2.1) and s.stopbands[-1] == pytest.approx(128 * 2 ** 0.3)
    ratios = [b / a for a, b in zip(s.cutoffs[:12], s.cutoffs[1:13])]
    assert max(ratios) == pytest.approx(min(ratios))  # geometric progression up to the critical layers
    for rate, stop in zip(s.sampling_rates, s.stopbands):
        assert rate == min(256, 2 ** math.ceil(math.log2(2 * stop)))  # smallest power of two >= 2 f_t, capped
    assert s.sizes[:-2] == tuple(r + 20 for r in s.sampling_rates[:-2]) and s.sizes[-2:] == (256, 256)
    assert s.channels[0] == 512 and s.channels[-2] == 128 and s.channels[-1] == 3  # 16384 / cutoff, capped
    assert all(h > 0 for h in s.half_widths)


def test_official_layout_names_and_shapes_res32_small():
    """REFERENCE Part 1 sec. 6: res 32 with --cbase 16384 --cmax 256 gives L0_36_256 ... L13_32_256, L14_32_3."""
    cfg = model_config("stylegan3", img_resolution=32, z_dim=256, w_dim=256, channel_base=16384, channel_max=256)
    with torch.device("meta"):
        G = build_generator(cfg)
    names = G.synthesis.layer_names
    assert names[0] == "L0_36_256" and names[-2:] == ["L13_32_256", "L14_32_3"] and len(names) == 15
    sd = {k: tuple(v.shape) for k, v in G.state_dict().items()}
    assert [k for k in sd if k.startswith("synthesis.input.")] == [
        "synthesis.input.weight", "synthesis.input.transform", "synthesis.input.freqs", "synthesis.input.phases",
        "synthesis.input.affine.weight", "synthesis.input.affine.bias"]
    assert sd["synthesis.input.freqs"] == (256, 2) and sd["synthesis.input.affine.weight"] == (4, 256)
    assert sd["synthesis.L3_36_256.weight"] == (256, 256, 3, 3) and sd["synthesis.L3_36_256.magnitude_ema"] == ()
    assert sd["synthesis.L14_32_3.weight"] == (3, 256, 1, 1) and "synthesis.L14_32_3.up_filter" not in sd
    assert sd["synthesis.L0_36_256.up_filter"] == (12,) and sd["synthesis.L0_36_256.affine.weight"] == (256, 256)
    assert [k for k in sd if k.startswith("mapping.")] == ["mapping.w_avg", "mapping.fc0.weight", "mapping.fc0.bias",
                                                           "mapping.fc1.weight", "mapping.fc1.bias"]


def _fourier(bandwidth=2.0, size=36, rate=16.0):
    torch.manual_seed(1)
    return SynthesisInput(w_dim=8, channels=32, size=size, sampling_rate=rate, bandwidth=bandwidth)


def test_fourier_features_under_a_transform_equal_the_features_at_the_transformed_positions():
    layer = _fourier()
    g = layer.grid()
    T = user_transform((0.13, -0.27), 33.0)
    p = torch.stack(torch.broadcast_tensors(g[None, :], g[:, None]), dim=-1)  # [H, W, 2] = (x, y)
    q = p @ T[:2, :2].t() + T[:2, 2]  # T p
    want = torch.sin(2 * math.pi * (q @ layer.freqs.t() + layer.phases))  # [H, W, C]: f . (T p) + phi
    got = layer.features(T[None])[0]
    torch.testing.assert_close(got, want, rtol=0, atol=2e-4)


def test_fourier_features_move_with_the_user_transform():
    layer = _fourier()
    w = torch.randn(3, 8)
    with torch.no_grad():
        base = layer(w)
        layer.transform.copy_(user_transform((3 / 16, 0.0)))  # 3 samples to the right
        shifted = layer(w)
        torch.testing.assert_close(shifted[..., 3:], base[..., :-3], rtol=0, atol=2e-4)
        layer.transform.copy_(user_transform((0.0, 0.0), 90.0))  # a quarter turn permutes the centred grid
        turned = layer(w)
        assert min((turned - torch.rot90(base, k, dims=(2, 3))).abs().max() for k in (1, 3)) < 2e-4


def test_learned_affine_starts_as_identity_and_out_of_band_frequencies_fade():
    layer = _fourier(bandwidth=2.0, rate=16.0)
    assert torch.equal(layer.transforms(torch.randn(4, 8)), torch.eye(3).expand(4, 3, 3))
    assert layer.freqs.norm(dim=1).max() <= 2.0
    with torch.no_grad():  # a 4x zoom pushes |f| to <= 8 = Nyquist: the amplitude fades linearly to 0 there
        feats = layer.features(torch.diag(torch.tensor([4.0, 4.0, 1.0]))[None])
    amp = feats.abs().amax(dim=(0, 1, 2))
    expect = (1 - (layer.freqs.norm(dim=1) * 4 - 2) / (8 - 2)).clamp(0, 1)
    assert (amp <= expect + 1e-4).all() and torch.allclose(amp[expect > 0.9], expect[expect > 0.9], atol=0.05)


def test_magnitude_ema_tracks_in_training_mode_only():
    G = build_generator(model_config("stylegan3", img_resolution=16, num_layers=4, **TINY))
    layer = getattr(G.synthesis, G.synthesis.layer_names[1])
    z = torch.randn(4, 16)
    with torch.no_grad():
        G.eval()(z)
        assert layer.magnitude_ema.item() == 1.0
        G.train()(z)
        assert layer.magnitude_ema.item() != 1.0
        before = layer.magnitude_ema.clone()
        G.eval()(z)
        assert torch.equal(layer.magnitude_ema, before)


def test_config_round_trip_and_errors():
    cfg = model_config("stylegan3", cfg="r", img_resolution=32, **TINY)
    assert model_config_from_dict(cfg.to_dict()) == cfg
    assert (cfg.conv_kernel, cfg.use_radial_filters, cfg.g_channel_base, cfg.g_channel_max) == (1, True, 1024, 32)
    with pytest.raises(ValueError, match="cfg must be 't' or 'r'"):
        StyleGAN3Config(cfg="x")
    with pytest.raises(ValueError, match="num_layers must exceed num_critical"):
        StyleGAN3Config(num_layers=2)
    with pytest.raises(ValueError, match="img_resolution"):
        StyleGAN3Config(img_resolution=4)


def test_checkpoint_round_trip(tmp_path):
    from ganforge.inference import open_networks
    from ganforge.train.checkpoint import load_checkpoint, save_checkpoint

    cfg = model_config("stylegan3", cfg="r", img_resolution=16, c_dim=2, num_layers=4, **TINY)
    G, D = build_generator(cfg), build_discriminator(cfg)
    with torch.no_grad():
        G.train()(torch.randn(4, 16), torch.eye(2)[[0, 1, 0, 1]])  # magnitude EMAs away from 1
    opts = {"G": torch.optim.Adam(G.parameters()), "D": torch.optim.Adam(D.parameters())}
    path = save_checkpoint(tmp_path / "net.safetensors", modules={"G": G, "D": D, "G_ema": G}, optimizers=opts,
                           config={"model": {"family": "stylegan3", "arch": cfg.to_dict()}}, state={"cur_nimg": 0})
    assert load_checkpoint(path).model_config() == cfg
    net = open_networks(path)
    z, c = torch.randn(3, 16), torch.eye(2)[[0, 1, 1]]
    with torch.no_grad():
        assert torch.equal(net.G(z, c), G.eval()(z, c))


def test_generators_are_equivariant_at_init_and_only_r_to_rotation():
    """The paper's headline at initialisation: both configs follow translations of the input; only R rotations
    (measured here: T 85 / 27 dB, R 118 / 64 dB for EQ-T / EQ-R)."""
    from ganforge.metrics.equivariance import equivariance_psnr

    eq = {}
    for cfg in ("t", "r"):
        torch.manual_seed(0)
        G = build_generator(model_config("stylegan3", cfg=cfg, img_resolution=16, num_layers=6, **TINY)).eval()
        eq[cfg] = [equivariance_psnr(G, kind, 8, batch_size=8) for kind in ("eqt_int", "eqr", "eqt_frac")]
    assert eq["t"][0] > 60 and eq["r"][0] > 60
    assert 40 < eq["t"][2] < math.inf  # 16 px still leaves pixels for the sinc interpolator
    assert eq["r"][1] > 50 and eq["t"][1] < 35
