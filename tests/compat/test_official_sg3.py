"""Official StyleGAN3-T/R pickles (built in the test from the documented layout) load into the stylegan3 family and
give the same images, also translated and rotated; convert and ONNX export work on them."""

from __future__ import annotations

import pytest
import torch

from ganforge.cli.main import main
from ganforge.compat.official_kwargs import SOURCE_SG3_STYLEGAN3
from ganforge.compat.official_pkl import import_official_pkl
from ganforge.inference import open_networks
from ganforge.models import build_discriminator, build_generator, model_config
from tests.compat import official_pickle_builder as B
from tests.compat.official_sg3_builder import sg3_snapshot

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, channel_base=256, channel_max=16, num_layers=4,
            mbstd_group_size=2)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def make_networks(cfg, seed=0):
    """G, D, G_ema with different weights, trained-looking magnitude EMAs and a w_avg away from 0."""
    torch.manual_seed(seed)
    nets = {"G": build_generator(cfg), "D": build_discriminator(cfg), "G_ema": build_generator(cfg)}
    for name in ("G", "G_ema"):
        G = nets[name]
        G.mapping.w_avg.normal_()
        with torch.no_grad():
            G.train()(torch.randn(8, cfg.z_dim), torch.eye(cfg.c_dim)[torch.arange(8) % cfg.c_dim] if cfg.c_dim else None)
            G.synthesis.input.affine.weight.normal_()  # a learned rotation/translation per w
    return {k: v.eval().requires_grad_(False) for k, v in nets.items()}


@pytest.mark.parametrize("cfg_name,c_dim", [("t", 0), ("r", 0), ("t", 3)])
def test_official_sg3_pickle_loads_and_gives_the_same_images(tmp_path, cfg_name, c_dim):
    cfg = model_config("stylegan3", cfg=cfg_name, c_dim=c_dim, **TINY)
    nets = make_networks(cfg)
    path = B.write(tmp_path / "network-snapshot-000100.pkl", sg3_snapshot(cfg, nets))
    data = import_official_pkl(path)
    assert data.source == SOURCE_SG3_STYLEGAN3 and data.model_config == cfg
    assert data.metadata["init_kwargs"]["G"]["channel_base"] == (512 if cfg_name == "r" else 256)  # R doubles G's
    net = open_networks(path)
    z = torch.randn(4, 16)
    c = torch.eye(3)[[0, 2, 1, 1]] if c_dim else None
    with torch.no_grad():
        for name in ("G", "G_ema"):
            assert all(torch.equal(a, b) for a, b in zip(net.build(name).state_dict().values(),
                                                         nets[name].state_dict().values()))
        G = net.G
        assert torch.equal(G(z, c, truncation_psi=0.7), nets["G_ema"](z, c, truncation_psi=0.7))
        for translate, angle in (((0.25, -0.1), 0.0), ((0.0, 0.0), 30.0)):
            G.set_transform(translate, angle)
            nets["G_ema"].set_transform(translate, angle)
            moved = G(z, c)
            assert torch.equal(moved, nets["G_ema"](z, c))
            assert (moved - nets["G_ema"].eval()(z, c)).abs().max() == 0
        img = G(z, c)
        assert torch.equal(net.build("D")(img, c), nets["D"](img, c))


def test_odd_kernel_and_filter_combinations_are_refused_in_one_line(tmp_path):
    cfg = model_config("stylegan3", **TINY)
    data = sg3_snapshot(cfg, {"G_ema": make_networks(cfg)["G_ema"]})
    data["G_ema"].meta["state"]["_init_kwargs"]["use_radial_filters"] = True  # 3x3 convs with radial filters
    with pytest.raises(ValueError, match=r"cannot rebuild the StyleGAN3 generator config: G conv_kernel=3, "
                                         r"use_radial_filters=True is neither config T"):
        import_official_pkl(B.write(tmp_path / "odd.pkl", data))


def test_convert_and_onnx_export_of_an_official_sg3_pickle(tmp_path, capsys):
    cfg = model_config("stylegan3", cfg="r", **TINY)
    nets = make_networks(cfg, seed=3)
    pkl = B.write(tmp_path / "sg3r.pkl", sg3_snapshot(cfg, nets))
    out = tmp_path / "sg3r.safetensors"
    assert main(["convert", str(pkl), str(out)]) == 0
    z = torch.randn(2, 16)
    with torch.no_grad():
        assert torch.equal(open_networks(out).G(z), nets["G_ema"](z))
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    onnx_path = tmp_path / "sg3r.onnx"
    assert main(["export", "--network", str(pkl), "--format", "onnx", "--part", "synthesis", "--out",
                 str(onnx_path)]) == 0
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    ws = nets["G_ema"].mapping(torch.randn(3, 16), None)
    with torch.no_grad():
        ref = nets["G_ema"].synthesis(ws)
    got = torch.from_numpy(session.run(None, {"ws": ws.numpy()})[0])
    assert got.shape == ref.shape and (got - ref).abs().max() < 1e-4
