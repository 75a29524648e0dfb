"""StyleGAN2 with StyleGAN3's Fourier-feature input (``input="fourier"``, the StyleGAN3 paper's config B)."""

import hashlib
import math

import pytest
import torch

from ganforge.models import build_generator, model_config, model_config_from_dict
from ganforge.models.network import generator_caps
from ganforge.models.stylegan2 import StyleGAN2Config
from ganforge.models.stylegan3 import SynthesisInput, user_transform

TINY = dict(z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)

# The tiny 16 px constant-input G as built (torch.manual_seed(0)) before the Fourier option existed: 56 tensors,
# the sha256 of "name [shape]" lines and the sum of |values| (the golden runs hash the weights).
CONST_NAMES_SHA256 = "c193ae85ca39b4702f43c8e9b299e1d24340cee8c640e65b7821772d1854df1c"
CONST_ABS_SUM = 49842.1957763629


def _generator(input="fourier", res=16, seed=0):
    torch.manual_seed(seed)
    return build_generator(model_config("stylegan2", img_resolution=res, input=input, **TINY)).eval()


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_const_generator_keeps_its_names_shapes_and_values():
    sd = _generator("const").state_dict()
    text = "\n".join(f"{k} {list(v.shape)}" for k, v in sd.items())
    assert len(sd) == 56 and hashlib.sha256(text.encode()).hexdigest() == CONST_NAMES_SHA256
    assert sum(float(v.double().abs().sum()) for v in sd.values()) == pytest.approx(CONST_ABS_SUM, rel=1e-12)
    assert not generator_caps(_generator("const")).has_input_transform
    assert StyleGAN2Config().input == "const"


@pytest.mark.parametrize("res", [16, 32])
def test_fourier_shapes_and_names(res):
    G, C = _generator("fourier", res), _generator("const", res)
    assert G.num_ws == C.num_ws
    with torch.no_grad():
        img = G(torch.randn(3, 16), noise_mode="const")
    assert img.shape == (3, 3, res, res) and torch.isfinite(img).all()
    fourier, const = set(G.state_dict()), set(C.state_dict())
    assert const - fourier == {"synthesis.b4.const"}
    assert {k.rsplit(".", 1)[0] for k in fourier - const} <= {"synthesis.b4.input", "synthesis.b4.input.affine"}
    inp = G.synthesis.b4.input
    assert isinstance(inp, SynthesisInput)  # StyleGAN3's module, not a copy
    assert (inp.size, inp.sampling_rate, inp.channels) == (4, 4.0, G.synthesis.b4.out_channels)
    assert inp.freqs.norm(dim=1).max() <= inp.bandwidth < inp.sampling_rate / 2


def test_fourier_declares_input_transform_and_eq_metrics_run():
    from ganforge.inference.transform import set_input_transform
    from ganforge.metrics.equivariance import equivariance_psnr

    G = _generator("fourier")
    caps = generator_caps(G)
    assert caps.has_input_transform and caps.has_noise and caps.has_mapping
    for kind in ("eqt_int", "eqt_frac", "eqr"):
        value = equivariance_psnr(G, kind, 2, batch_size=2)
        assert math.isfinite(value) and value > 0
    assert torch.equal(G.synthesis.b4.input.transform, torch.eye(3))  # the metric puts the identity back
    set_input_transform(G, (0.25, 0.0), 30.0)
    assert torch.allclose(G.synthesis.b4.input.transform, user_transform((0.25, 0.0), 30.0))
    with pytest.raises(ValueError, match="movable input"):
        set_input_transform(_generator("const"), (0.25, 0.0))
    with pytest.raises(ValueError, match="input='fourier'"):
        _generator("const").set_transform((0.25, 0.0))


def test_translating_via_the_input_translates_the_fourier_features():
    G = _generator("fourier")
    z = torch.randn(2, 16)
    seen = []
    hook = G.synthesis.b4.input.register_forward_hook(lambda m, i, o: seen.append(o.detach()))
    with torch.no_grad():
        ws = G.mapping(z, None)
        G.synthesis(ws, noise_mode="const")
        G.set_transform((0.25, 0.0))  # one 4x4 sample (a quarter of the image) to the right
        G.synthesis(ws, noise_mode="const")
        G.set_transform((0.1, -0.3), 40.0)
        G.synthesis(ws, noise_mode="const")
    hook.remove()
    base, shifted, moved = seen
    torch.testing.assert_close(shifted[..., 1:], base[..., :-1], rtol=0, atol=2e-4)
    inp = G.synthesis.b4.input
    # the features are StyleGAN3's continuous sinusoids evaluated at T^-1 p, driven by the first w
    feats = inp.features(inp.transforms(ws[:, 0]))
    want = (feats @ (inp.weight / math.sqrt(inp.channels)).t()).permute(0, 3, 1, 2)
    torch.testing.assert_close(moved, want, rtol=0, atol=1e-5)
    g = inp.grid()
    p = torch.stack(torch.broadcast_tensors(g[None, :], g[:, None]), dim=-1)  # [H, W, (x, y)]
    T = user_transform((0.1, -0.3), 40.0)
    q = p @ T[:2, :2].t() + T[:2, 2]  # the learned affine starts as the identity
    raw = torch.sin(2 * math.pi * (q @ inp.freqs.t() + inp.phases))
    torch.testing.assert_close(feats[0], raw, rtol=0, atol=2e-4)


def test_formats_without_a_fourier_input_refuse_it(tmp_path):
    from ganforge.compat import export_rosinality

    with pytest.raises(ValueError, match="learned constant, not a fourier input"):
        export_rosinality(_generator("fourier"), tmp_path / "g.pt")


def test_config_round_trip_cli_flag_and_errors():
    import argparse

    from ganforge.cli import train as cli_train

    cfg = model_config("stylegan2", img_resolution=32, input="fourier", **TINY)
    assert model_config_from_dict(cfg.to_dict()) == cfg and cfg.to_dict()["input"] == "fourier"
    old = model_config("stylegan2", img_resolution=32, **TINY).to_dict()
    del old["input"]  # configs written before the option read as the constant input
    assert model_config_from_dict(old).input == "const"
    with pytest.raises(ValueError, match="input"):
        StyleGAN2Config(input="noise")
    with pytest.raises(ValueError, match="square"):
        StyleGAN2Config(img_resolution=64, init_res=(2, 4), input="fourier")
    parser = argparse.ArgumentParser()
    cli_train.add_parser(parser.add_subparsers())
    args = parser.parse_args(["train", "--data", "x.zip", "--cfg", "cpu", "--g-input", "fourier"])
    assert cli_train.config_from_args(args).model.overrides["input"] == "fourier"
    assert cli_train.given_flags(args)["--g-input"] == ("model.arch.input", "fourier")


def test_fourier_stylegan2_trains_through_train(tmp_path):
    from ganforge.inference import open_networks
    from ganforge.train.loop import train
    from tests.train.test_loop import TINY as LOOP_TINY
    from tests.train.test_loop import make_folder_dataset, tiny_config

    data = make_folder_dataset(tmp_path / "data")
    model = {**LOOP_TINY.to_dict(), "input": "fourier"}
    cfg = tiny_config(data, tmp_path / "runs", model=model, num_threads=1, metrics=("eqt4_int",), metric_ticks=1)
    result = train(cfg)
    net = open_networks(result.last_checkpoint)
    assert net.G.synthesis.input_kind == "fourier" and generator_caps(net.G).has_input_transform
    assert not torch.equal(net.G.synthesis.b4.input.weight, _generator("fourier").synthesis.b4.input.weight)
    assert (result.run_dir / "metric-eqt4_int.jsonl").exists()
    with torch.no_grad():
        assert torch.isfinite(net.G(torch.randn(2, 16), noise_mode="const")).all()
    from ganforge.cli.main import main

    out = tmp_path / "out"
    assert main(["generate", "--network", str(result.last_checkpoint), "--seeds", "0-1", "--translate", "0.25,0",
                 "--rotate", "30", "--outdir", str(out)]) == 0
    assert len(list(out.glob("*.png"))) == 2
