"""StyleGAN1 (issue 18, item 3): AdaIN, noise, shapes, truncation, style mixing, config, training, CLI, droplets."""

import json

import numpy as np
import pytest
import torch

from ganforge.cli.main import main
from ganforge.explore.droplets import layer_features, spike_ratio, spike_ratios
from ganforge.losses.adversarial import get_adversarial_loss
from ganforge.losses.objective import GANObjective
from ganforge.models import build_discriminator, build_generator, model_config, model_config_from_dict
from ganforge.models.stylegan1 import StyleGAN1Config, adain
from ganforge.models.stylegan1.synthesis import StyleLayer
from ganforge.train.checkpoint import load_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.loop import train
from tests.conftest import single_thread
from tests.train.test_loop import make_folder_dataset, tiny_config

_one_thread = pytest.fixture(autouse=True)(single_thread)

TINY = dict(img_resolution=16, z_dim=32, w_dim=32, mapping_layers=2, channel_base=256, channel_max=16)


def tiny(**kw) -> StyleGAN1Config:
    return model_config("stylegan1", **{**TINY, **kw})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adain_gives_per_channel_mean_b_and_std_s_for_any_input(seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn([3, 5, 7, 6], generator=g) * torch.rand([3, 5, 1, 1], generator=g) * 50 + 17  # any scale/offset
    scale, bias = torch.randn([3, 5], generator=g) * 3, torch.randn([3, 5], generator=g) * 4
    y = adain(x, scale, bias)
    torch.testing.assert_close(y.mean(dim=(2, 3)), bias, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(y.std(dim=(2, 3), unbiased=False), scale.abs(), atol=1e-4, rtol=1e-4)
    # by hand on a 2x2 map: mean 2.5, population std sqrt(1.25)
    m = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    out = adain(m, torch.tensor([[2.0]]), torch.tensor([[1.0]]))
    expected = 2 * (m - 2.5) / 1.25 ** 0.5 + 1
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)


def test_style_scale_starts_at_one_and_noise_strength_at_zero():
    layer = StyleLayer(4, 4, 8, 8)
    assert torch.equal(layer.noise_strength.detach(), torch.zeros(4))
    w = torch.zeros([2, 8])
    torch.testing.assert_close(layer.style_scale(w), torch.ones([2, 4]))
    torch.testing.assert_close(layer.style_bias(w), torch.zeros([2, 4]))
    x, w = torch.randn([2, 4, 8, 8]), torch.randn([2, 8])
    # zero strength: the noise mode makes no difference; a non-zero strength makes random noise differ per call
    assert torch.equal(layer(x, w, "random"), layer(x, w, "none"))
    assert torch.equal(layer(x, w, "const"), layer(x, w, "none"))
    with torch.no_grad():
        layer.noise_strength.fill_(0.5)
    assert not torch.equal(layer(x, w, "random"), layer(x, w, "random"))
    assert torch.equal(layer(x, w, "const"), layer(x, w, "const"))
    assert not torch.equal(layer(x, w, "const"), layer(x, w, "none"))


@pytest.mark.parametrize("res", [8, 16, 32, 64, 128, 256, 512, 1024])
def test_shapes_for_every_stage(res):
    with torch.device("meta"):
        G = build_generator(model_config("stylegan1", img_resolution=res))
    assert G.synthesis.block_resolutions == [2**i for i in range(2, res.bit_length())]
    assert G.num_ws == G.capabilities.num_ws == 2 * len(G.synthesis.block_resolutions)
    for r in G.synthesis.block_resolutions:
        block = getattr(G.synthesis, f"b{r}")
        assert block.conv1.noise_const.shape == (r, r)
        assert block.out_channels == min(16384 // r, 512)
    if res <= 32:
        G = build_generator(model_config("stylegan1", img_resolution=res, channel_base=256, channel_max=16, z_dim=16,
                                         w_dim=16, mapping_layers=2))
        assert G(torch.randn([2, 16])).shape == (2, 3, res, res)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_channels_and_conditional(channels):
    cfg = tiny(img_channels=channels, c_dim=5)
    G, D = build_generator(cfg), build_discriminator(cfg, "stylegan1")
    c = torch.eye(5)[:3]
    img = G(torch.randn([3, 32]), c)
    assert img.shape == (3, channels, 16, 16)
    assert D(img, c).shape == (3, 1)
    caps = G.capabilities
    assert caps.has_mapping and caps.has_noise and caps.has_w_avg and caps.w_dim == 32 and caps.num_ws == 6
    with pytest.raises(ValueError, match="img_channels"):
        tiny(img_channels=2)
    with pytest.raises(ValueError, match="img_resolution"):
        tiny(img_resolution=4)


def test_truncation_psi_zero_gives_w_avg():
    G = build_generator(tiny())
    with torch.no_grad():
        G.mapping.w_avg.copy_(torch.randn([32]))
    ws = G.mapping(torch.randn([4, 32]), None, truncation_psi=0)
    assert torch.allclose(ws, G.mapping.w_avg.expand(4, G.num_ws, -1))
    ws = G.mapping(torch.randn([4, 32]), None, truncation_psi=0, truncation_cutoff=2)
    assert torch.allclose(ws[:, :2], G.mapping.w_avg.expand(4, 2, -1)) and not torch.allclose(ws[:, 2:], ws[:, :1])
    G.mapping(torch.randn([8, 32]), None, update_emas=True)  # w_avg tracking
    img = G(torch.randn([2, 32]), truncation_psi=0.5, truncation_cutoff=4, noise_mode="const")
    assert img.shape == (2, 3, 16, 16)


def test_style_mixing_through_the_objective():
    G = build_generator(tiny())
    objective = GANObjective(get_adversarial_loss("nonsaturating"), style_mixing_prob=1.0)
    torch.manual_seed(0)
    img, ws = objective.run_G(G, torch.randn([4, 32]), None)
    assert img.shape == (4, 3, 16, 16) and ws.shape == (4, G.num_ws, 32)
    assert not torch.allclose(ws[:, 0], ws[:, -1])  # the last layers took the second latent's styles


def test_config_json_round_trip():
    cfg = tiny(c_dim=3, w_avg_beta=None, blur_filter=(1.0, 3.0, 3.0, 1.0))
    again = model_config_from_dict(json.loads(json.dumps(cfg.to_dict())))
    assert again == cfg and isinstance(again, StyleGAN1Config)


def test_spike_ratio_against_a_hand_built_feature_map():
    x = torch.ones([1, 2, 4, 4])
    assert spike_ratio(x) == pytest.approx(1.0)
    x[0, :, 1, 2] = 10.0  # one droplet: magnitude sqrt(200) against a median of sqrt(2)
    assert spike_ratio(x) == pytest.approx(10.0)
    y = torch.ones([2, 1, 3, 3])
    y[1, 0, 0, 0] = -4.0  # |.|: 4 over 1; mean over the samples of 1 and 4
    assert spike_ratio(y) == pytest.approx(2.5)


def test_spike_ratios_cover_every_layer_of_stylegan1_and_stylegan2():
    G1 = build_generator(tiny())
    r1 = spike_ratios(G1, G1.mapping(torch.randn([2, 32]), None))
    assert list(r1) == ["b4/conv0", "b4/conv1", "b8/conv0", "b8/conv1", "b16/conv0", "b16/conv1"]
    assert all(np.isfinite(v) and v >= 1.0 for v in r1.values())
    G2 = build_generator(model_config("stylegan2", img_resolution=16, z_dim=32, w_dim=32, mapping_layers=2,
                                      channel_base=256, channel_max=16))
    r2 = spike_ratios(G2, G2.mapping(torch.randn([2, 32]), None))
    assert list(r2) == ["b4/conv1", "b8/conv0", "b8/conv1", "b16/conv0", "b16/conv1"]


def test_stylegan1_spikes_are_read_before_the_instance_normalisation():
    """The droplet lives in what AdaIN normalises: the measure reads AdaIN's input, not the layer's output (whose
    maps all have the style's mean after the instance normalisation)."""
    torch.manual_seed(0)
    G = build_generator(tiny())
    layer = G.synthesis.b8.conv1
    with torch.no_grad():
        layer.noise_strength.fill_(0.0)
    inputs, outputs = {}, {}
    layer.adain.register_forward_pre_hook(lambda m, a: inputs.update(x=a[0].detach()))
    layer.register_forward_hook(lambda m, a, out: outputs.update(y=out.detach()))
    ws = G.mapping(torch.randn([2, 32]), None)
    feats = layer_features(G, ws)
    assert torch.equal(feats["b8/conv1"], inputs["x"])
    mean = outputs["y"].mean(dim=(2, 3))
    torch.testing.assert_close(mean, layer.style_bias(ws[:, 3]), atol=1e-4, rtol=1e-4)  # normalised: not the input
    assert not torch.allclose(feats["b8/conv1"].mean(dim=(2, 3)), mean, atol=1e-2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("sg1")
    data = make_folder_dataset(root / "data")
    cfg = tiny_config(data, root / "runs", model=tiny().to_dict())
    return cfg, train(cfg)


def test_training_steps_change_every_trainable_parameter(trained):
    _, result = trained
    cfg = TrainConfig.from_dict(json.loads((result.run_dir / "config.json").read_text()))  # as resolved
    assert cfg.model.family == "stylegan1" and cfg.model.d == "progan"  # the paper pairs StyleGAN1 with the ProGAN D
    assert [(r.name, r.weight) for r in cfg.loss.regs] == [("r1", 10.0)]  # the preset's R1, no path length
    torch.manual_seed(cfg.run.seed)
    G0 = build_generator(cfg.model.arch)
    D0 = build_discriminator(cfg.model.arch, cfg.model.d)
    ckpt = load_checkpoint(result.last_checkpoint)
    for name, net in (("G", G0), ("D", D0)):
        state = ckpt.modules[name]
        for key, p in net.named_parameters():
            assert not torch.equal(p.detach(), state[key]), f"{name}.{key} did not change"
    assert not torch.equal(ckpt.modules["G"]["mapping.w_avg"], torch.zeros(32))


def test_mix_and_activations_spikes_on_a_checkpoint(trained, tmp_path, capsys):
    _, result = trained
    ckpt = str(result.last_checkpoint)
    assert main(["mix", "--network", ckpt, "--rows", "1,2", "--cols", "3,4", "--styles", "0-1", "--outdir",
                 str(tmp_path / "mix")]) == 0
    assert any(p.suffix == ".png" for p in (tmp_path / "mix").iterdir())
    out = tmp_path / "act"
    assert main(["activations", "--network", ckpt, "--seeds", "0-1", "--spikes", "--outdir", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "b16/conv1" in printed and "max/median" in printed
    ratios = json.loads((out / "spikes.json").read_text())
    assert list(ratios)[0] == "b4/conv0" and len(ratios) == 6
    assert (out / "spikes.png").stat().st_size > 0 and (out / "seed0000-b16.png").exists()


@pytest.mark.parametrize("part", ["full", "synthesis"])
def test_onnx_export_matches_pytorch(tmp_path, part):
    """Exported G equals PyTorch's. (At init the first layer instance-normalises a constant map of ones: PyTorch gives
    exactly 0 there, and the exported graph gave NaN before ``adain`` clamped its variance; a trained constant varies
    over the map, as here.)"""
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from ganforge.export.onnx import export_onnx

    G = build_generator(model_config("stylegan1", img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2,
                                     channel_base=128, channel_max=16)).eval()
    with torch.no_grad():  # as after training: a constant that varies over the map, noise that matters
        G.synthesis.b4.const.normal_()
        for name, p in G.named_parameters():
            if name.endswith("noise_strength"):
                p.uniform_(0.1, 0.5)
    path = export_onnx(G, tmp_path / f"{part}.onnx", part=part, truncation_psi=0.7 if part == "full" else 1.0)
    session = ort.InferenceSession(str(path))
    with torch.no_grad():
        if part == "full":
            z = torch.randn(2, 16)
            (got,) = session.run(None, {"z": z.numpy()})
            ref = G(z, None, truncation_psi=0.7, noise_mode="const")
        else:
            ws = torch.randn(2, G.num_ws, 16)
            (got,) = session.run(None, {"ws": ws.numpy()})
            ref = G.synthesis(ws, noise_mode="const")
    np.testing.assert_allclose(got, ref.numpy(), atol=1e-4)
