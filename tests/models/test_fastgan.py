"""FastGAN-lite: shapes 8..1024 px, skip-layer excitation, conditioning, the Projected GAN presets, exact resume."""

import pytest
import torch

from ganforge.inference import open_networks
from ganforge.models import build_generator, model_config
from ganforge.models.fastgan import sle_pairs
from ganforge.train.loop import train
from ganforge.train.presets import preset_config, resolve_config
from tests.conftest import single_thread
from tests.train.test_loop import assert_same_checkpoints, make_folder_dataset

_one_thread = pytest.fixture(scope="module", autouse=True)(single_thread)

TINY_D = {"backbone_res": 32, "mix_channels": 4, "head_channels": 4, "cmap_dim": 4}


@pytest.mark.parametrize("resolution", [32, 64, 128, 256, 512, 1024])
def test_shapes_from_32_to_1024_px(resolution):
    G = build_generator(model_config("fastgan", img_resolution=resolution, ngf=4, z_dim=8)).eval()
    with torch.no_grad():
        img = G(torch.randn(1, 8))
    assert img.shape == (1, 3, resolution, resolution) and img.abs().max() < 1  # tanh output
    assert sorted(int(k[1:]) for k in G.up) == [2 ** i for i in range(3, resolution.bit_length())]
    # SLE as in the paper: 8 -> 128, 16 -> 256, 32 -> 512, 64 -> 1024; below 128 px the 8 px map gates the output
    expected = {r: r // 16 for r in (128, 256, 512, 1024) if r <= resolution} or {resolution: 8}
    assert sle_pairs(resolution) == expected and {f"b{r}" for r in expected} == set(G.sle)


def test_widths_follow_fastgans_multipliers():
    cfg = model_config("fastgan", img_resolution=1024, ngf=64)
    assert [cfg.channels(r) for r in cfg.resolutions] == [1024, 512, 256, 128, 128, 64, 32, 16, 8]
    assert model_config("fastgan", img_resolution=1024, ngf=64, channel_max=256).channels(4) == 256
    with pytest.raises(ValueError, match="power of two >= 8"):
        model_config("fastgan", img_resolution=48)
    with pytest.raises(ValueError, match="square images only"):
        model_config("fastgan", img_resolution=32, init_res=[2, 4])


def test_skip_layer_excitation_gates_the_high_resolution_map():
    G = build_generator(model_config("fastgan", img_resolution=32, ngf=8, z_dim=8)).eval()
    sle = G.sle["b32"]
    x_low, x_high = torch.randn(2, 64, 8, 8), torch.randn(2, 16, 32, 32)  # ngf 8: 64 ch at 8 px, 16 at 32 px
    with torch.no_grad():
        gate = sle.gate(x_low)
        out = sle(x_low, x_high)
        other = sle(torch.randn(2, 64, 8, 8), x_high)
    assert gate.shape == (2, 16, 1, 1) and ((gate > 0) & (gate < 1)).all()  # one sigmoid gate per channel
    torch.testing.assert_close(out, x_high * gate)
    assert not torch.allclose(out, other)  # the low-resolution map decides the gates


def test_conditional_generator():
    G = build_generator(model_config("fastgan", img_resolution=16, ngf=4, z_dim=8, c_dim=3)).eval()
    z = torch.randn(2, 8)
    with torch.no_grad():
        a, b = G(z, torch.eye(3)[[0, 0]]), G(z, torch.eye(3)[[2, 2]])
    assert a.shape == (2, 3, 16, 16) and not torch.allclose(a, b)
    with pytest.raises(ValueError, match="conditional"):
        G(z)


def test_presets_are_the_projected_recipes():
    for name, backbone_res, lr in (("projected-fastgan", 256, 2e-4), ("projected-cpu", 64, 1e-3)):
        cfg = resolve_config(preset_config(name), resolution=32, img_channels=3, c_dim=0)
        assert (cfg.model.family, cfg.model.d, cfg.loss.adversarial) == ("fastgan", "projected", "hinge")
        assert cfg.model.d_options["backbone_res"] == backbone_res
        assert [(r.name, r.weight) for r in cfg.loss.regs] == [("r1", 0.0)]
        assert cfg.optim.G.betas == (0.0, 0.99) and cfg.optim.G.lr == cfg.optim.D.lr == lr
    # --cfg auto for fastgan means the CPU recipe; flags still win
    cfg = resolve_config(preset_config("auto", {"model": {"family": "fastgan"}, "loss": {"adversarial": "lsgan"}}),
                         resolution=32, img_channels=3, c_dim=0)
    assert cfg.model.d_options["backbone_res"] == 64 and cfg.loss.adversarial == "lsgan" and cfg.model.arch.ngf == 16


def _config(tmp_path, data, outdir, kimg):
    arch = model_config("fastgan", img_resolution=16, ngf=4, z_dim=8).to_dict()
    return preset_config("projected-cpu", {
        "data": {"path": str(data)}, "model": {"family": "fastgan", "arch": arch, "d_options": TINY_D},
        "run": {"outdir": str(outdir), "batch": 4, "kimg": kimg, "tick_kimg": 0.008, "snapshot_ticks": 1,
                "image_ticks": 1, "grid_size": 2, "progress": False, "tensorboard": False, "device": "cpu",
                "keep_checkpoints": 0}})


def test_resume_is_bit_exact(tmp_path):
    """FastGAN + projected D (BatchNorm statistics in G, spectral-norm vectors, DiffAugment draws inside D): a run
    stopped half-way and resumed ends with the same bits as a straight run."""
    data = make_folder_dataset(tmp_path / "data")
    straight = train(_config(tmp_path, data, tmp_path / "a", 0.032))
    half = train(_config(tmp_path, data, tmp_path / "b", 0.016))
    resumed = train(_config(tmp_path, data, tmp_path / "b", 0.032), resume=str(half.run_dir))
    assert_same_checkpoints(straight.last_checkpoint, resumed.last_checkpoint)
    # the checkpoint opens with its own discriminator and options (the projection is rebuilt, its digest checked)
    networks = open_networks(resumed.last_checkpoint)
    assert networks.discriminator_spec == ("projected", TINY_D)
    assert networks.D.backbone_res == 32 and networks.G(torch.randn(1, 8), None).shape == (1, 3, 16, 16)
