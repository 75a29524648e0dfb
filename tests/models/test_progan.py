"""ProGAN (issue 18, item 1): pixel norm and equalized-lr scales against their formulas, shapes at every resolution,
image channels, conditioning, the drift penalty, config round trip, training and ``generate`` on a checkpoint."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.losses.penalties import drift_penalty
from ganforge.losses.regularizers import REGULARIZERS, RegContext
from ganforge.models import DISCRIMINATORS, build_discriminator, build_generator, model_config, model_config_from_dict
from ganforge.models.network import generator_caps
from ganforge.models.progan import ProGANConfig, progan_channels, progan_discriminator
from ganforge.nn.equalized import Conv2dLayer, FullyConnectedLayer
from ganforge.nn.pixel_norm import PixelNorm


def _tiny(**kwargs) -> ProGANConfig:
    values = dict(img_resolution=16, z_dim=8, channel_base=128, channel_max=16, mbstd_group_size=2)
    values.update(kwargs)
    return model_config("progan", **values)


def test_pixel_norm_is_the_formula():
    x = torch.randn(3, 7, 5, 4, dtype=torch.float64)
    want = x / torch.sqrt((x ** 2).mean(dim=1, keepdim=True) + 1e-8)
    assert torch.allclose(PixelNorm()(x), want, atol=1e-12)
    y = PixelNorm()(x * 100)
    assert torch.allclose(y.square().mean(dim=1), torch.ones(3, 5, 4, dtype=torch.float64), atol=1e-6)


def test_equalized_lr_runtime_scales_are_he_constants():
    """Every layer stores N(0, 1) weights and applies ``gain / sqrt(fan_in)`` at run time (gain sqrt(2) before a
    leaky ReLU, 1 for the linear ToRGB and logit layers)."""
    torch.manual_seed(0)
    cfg = _tiny(c_dim=2)
    G, D = build_generator(cfg), build_discriminator(cfg)
    layers = [m for net in (G, D) for m in net.modules() if isinstance(m, (Conv2dLayer, FullyConnectedLayer))]
    assert len(layers) > 10
    for layer in layers:
        w = layer.weight
        fan_in = w[0].numel()
        gain = math.sqrt(2) if layer.activation == "lrelu" else 1.0
        runtime = layer.weight_gain * (layer.act_gain if isinstance(layer, Conv2dLayer) else
                                       (math.sqrt(2) if layer.activation == "lrelu" else 1.0))
        assert runtime == pytest.approx(gain / math.sqrt(fan_in))
        assert abs(w.std().item() - 1) < 0.35 and abs(w.mean().item()) < 0.35  # stored N(0, 1)
    # the conv's effective weight: an impulse input reads the weight back times the scale
    conv = Conv2dLayer(3, 2, 3, activation="linear")
    x = torch.zeros(1, 3, 3, 3)
    x[0, 1, 1, 1] = 1.0
    with torch.no_grad():
        out = conv(x)[0, :, 1, 1]
    assert torch.allclose(out, conv.weight[:, 1, 1, 1] / math.sqrt(27), atol=1e-6)
    fc = FullyConnectedLayer(5, 4, activation="lrelu")
    x = torch.randn(6, 5)
    with torch.no_grad():
        want = torch.nn.functional.leaky_relu(x @ (fc.weight * math.sqrt(2) / math.sqrt(5)).t(), 0.2)
        assert torch.allclose(fc(x), want, atol=1e-5)


def test_paper_widths():
    assert [progan_channels(r, 16384, 512) for r in (4, 8, 16, 32, 64, 128, 256, 512, 1024)] == \
        [512, 512, 512, 512, 256, 128, 64, 32, 16]
    assert ProGANConfig().channel_dict()[64] == 256


@pytest.mark.parametrize("res", [8, 16, 32, 64, 128, 256, 512, 1024])
def test_every_resolution_builds_with_the_right_blocks(res):
    cfg = _tiny(img_resolution=res, channel_base=256, channel_max=8, z_dim=4)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert list(G.blocks) == [f"b{2 ** i}" for i in range(2, res.bit_length())]
    assert list(D.blocks) == [f"b{2 ** i}" for i in range(res.bit_length() - 1, 2, -1)]
    if res <= 64:
        with torch.no_grad():
            img = G(torch.randn(2, 4))
            assert img.shape == (2, 3, res, res)
            assert D(img).shape == (2, 1)
            maps = D.feature_maps(img)
            assert [m.shape[-1] for m in maps] == [res // 2 ** i for i in range(1, len(maps) + 1)]


@pytest.mark.parametrize("img_channels", [1, 3, 4])
def test_image_channels(img_channels):
    cfg = _tiny(img_channels=img_channels)
    G, D = build_generator(cfg), build_discriminator(cfg)
    img = G(torch.randn(4, 8), noise_mode="const", truncation_psi=0.5)  # StyleGAN kwargs are accepted and ignored
    assert img.shape == (4, img_channels, 16, 16)
    assert D(img).shape == (4, 1)
    assert generator_caps(G).has_mapping is False and D.has_feature_maps


def test_conditional_generator_and_discriminator_use_labels():
    torch.manual_seed(0)
    cfg = _tiny(c_dim=3)
    G, D = build_generator(cfg), build_discriminator(cfg)
    z = torch.randn(4, 8)
    c0, c1 = torch.eye(3)[[0, 0, 0, 0]], torch.eye(3)[[1, 1, 1, 1]]
    with torch.no_grad():
        assert not torch.allclose(G(z, c0), G(z, c1))
        img = G(z, c0)
        assert not torch.allclose(D(img, c0), D(img, c1))
    with pytest.raises(ValueError, match="conditional"):
        G(z)
    with pytest.raises(ValueError, match="conditional"):
        D(img)


def test_latent_is_normalised():
    """Pixel norm of z: G sees only the direction of z."""
    G = build_generator(_tiny())
    z = torch.randn(2, 8)
    with torch.no_grad():
        assert torch.allclose(G(z), G(z * 7.5), atol=1e-5)


def test_discriminator_from_plain_numbers_serves_other_families():
    assert DISCRIMINATORS.get("progan").families == ("progan", "stylegan1")
    D = progan_discriminator(img_resolution=16, img_channels=3, c_dim=0, channel_base=128, channel_max=16,
                             mbstd_group_size=2)
    assert D(torch.randn(2, 3, 16, 16)).shape == (2, 1)

    class Other:  # any config with these fields
        img_resolution, img_channels, c_dim, channel_base, channel_max, mbstd_group_size = 16, 1, 0, 128, 16, 2

    assert DISCRIMINATORS.get("progan").build(Other())(torch.randn(2, 1, 16, 16)).shape == (2, 1)


def test_drift_penalty_hand_computed():
    logits = torch.tensor([[0.5], [-2.0], [3.0]], requires_grad=True)
    assert torch.allclose(drift_penalty(logits), torch.tensor([0.25, 4.0, 9.0]))
    reg = REGULARIZERS.get("drift")
    assert (reg.module, reg.default_weight, reg.default_interval) == ("D", 0.001, 0)
    # the registered term: own forward pass on reals when the main pass did not run
    D = lambda img, c: img.flatten(1).sum(dim=1, keepdim=True)  # noqa: E731
    real = torch.tensor([[[[1.0, 2.0]]], [[[-1.0, 0.5]]]])
    ctx = RegContext(run_G=None, run_D=D, real_img=real, real_c=None, gen_z=torch.zeros(2, 1), gen_c=None,
                     pl_mean=torch.zeros([]))
    assert torch.allclose(reg.penalty(ctx), torch.tensor([9.0, 0.25]))
    assert (0.001 * torch.tensor([9.0, 0.25])).mean().item() == pytest.approx(0.001 * 4.625)


def test_config_json_round_trip_and_errors():
    cfg = _tiny(c_dim=2, init_res=(2, 4))
    again = model_config_from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and isinstance(again, ProGANConfig)
    for bad in ({"img_resolution": 12}, {"img_resolution": 2048}, {"img_channels": 5}, {"z_dim": 0},
                {"mbstd_group_size": 0}, {"init_res": (3, 4)}):
        with pytest.raises(ValueError):
            _tiny(**bad)


def test_preset_is_the_paper_loss_and_optimiser():
    from ganforge.presets import PRESETS

    values = PRESETS.get("progan-cpu").values
    assert values["loss"]["adversarial"] == "wgan-gp"
    assert {r["name"]: r["weight"] for r in values["loss"]["regs"]} == {"wgan_gp": 10.0, "drift": 0.001}
    assert values["optim"]["G"] == {"lr": 0.001, "betas": [0.0, 0.99]}


def test_training_changes_every_parameter_and_generate_works(tmp_path):
    from ganforge.cli.main import main
    from ganforge.train.checkpoint import load_checkpoint
    from ganforge.train.loop import train
    from ganforge.utils.images import to_uint8
    from tests.train.test_loop import make_folder_dataset, tiny_config

    data = make_folder_dataset(tmp_path / "data")
    model = _tiny()
    cfg = tiny_config(data, tmp_path / "runs", model=model.to_dict(), kimg=0.016, num_threads=1, loss="wgan-gp",
                      r1_gamma=0, regs=[{"name": "drift", "weight": 0.001, "interval": 0}], g_lr=0.001, d_lr=0.001,
                      betas=[0.0, 0.99])
    regs = {r.name for r in cfg.loss.regs}
    assert {"drift"} <= regs
    result = train(cfg)
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


@pytest.mark.parametrize("loss", __import__("ganforge.losses", fromlist=["x"]).ADVERSARIAL_LOSSES.names())
def test_every_registered_loss_trains_progan_with_drift(loss):
    """One D phase (main + eager drift) and one G phase of every adversarial loss give finite gradients in every
    parameter; a lazy drift phase runs D itself."""
    from ganforge.losses import get_adversarial_loss
    from ganforge.losses.objective import GANObjective
    from ganforge.losses.regularizers import RegConfig, resolve_regs
    from ganforge.train.phases import Phase

    torch.manual_seed(0)
    cfg = _tiny(img_resolution=8)
    G, D = build_generator(cfg), build_discriminator(cfg)
    for interval in (0, 2):
        obj = GANObjective(get_adversarial_loss(loss), regs=resolve_regs([RegConfig("drift", 0.001, interval)]))
        real, z = torch.randn(4, 3, 8, 8), torch.randn(4, 8)
        phases = [Phase("Dboth", "D", ("main", "reg"), 1), Phase("Gmain", "G", ("main",), 1)]
        if interval:
            phases.append(Phase("Dreg", "D", ("reg",), interval))
        for phase in phases:
            net = D if phase.module == "D" else G
            net.zero_grad(set_to_none=True)
            out = obj.compute(phase, G, D, real, None, z, None)
            out.loss.backward()
            assert torch.isfinite(out.loss)
            if phase.name != "Gmain":
                assert ("Loss/drift_penalty" in out.stats) == (phase.name == ("Dreg" if interval else "Dboth"))
            if phase.name in ("Dboth", "Gmain"):
                assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.parameters())
