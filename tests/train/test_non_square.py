"""Non-square images (e.g. 32x16) train end to end for StyleGAN2, the DCGAN family, R3GAN and ProGAN: G's first block and D's last
block are ``init_res`` = (height, width), and grids, generate, SWD and ADA work on the result."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.metrics.swd import swd
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.models.checks import init_res_for
from ganforge.train.checkpoint import load_checkpoint
from ganforge.train.loop import train
from tests.train.test_loop import tiny_config

WIDE = dict(img_resolution=32, init_res=(2, 4))
MODELS = {
    "stylegan2": model_config("stylegan2", z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16,
                              mbstd_group_size=2, **WIDE),
    "dcgan": model_config("dcgan", z_dim=16, channel_base=256, channel_max=16, **WIDE),
    "r3gan": model_config("r3gan", z_dim=16, channel_base=256, channel_max=16, group_size=8, blocks_per_stage=1,
                          **WIDE),
    "progan": model_config("progan", z_dim=16, channel_base=256, channel_max=16, mbstd_group_size=2, **WIDE),
}


def make_wide_dataset(root: Path, n: int = 16) -> Path:
    """``n`` 32x16 (width x height) RGB images: a coloured bar on white."""
    rng = np.random.RandomState(0)
    root.mkdir(parents=True)
    for i in range(n):
        img = np.full([16, 32, 3], 255, np.uint8)
        x, y = rng.randint(0, 20), rng.randint(0, 8)
        img[y:y + 6, x:x + 10] = rng.randint(0, 255, 3)
        Image.fromarray(img).save(root / f"img{i:04d}.png")
    return root


def test_init_res_follows_the_image_shape_and_bad_shapes_are_named():
    assert init_res_for(32, 32) == (32, (4, 4))
    assert init_res_for(16, 32) == (32, (2, 4))  # height 16, width 32: 2x4 first block
    assert init_res_for(64, 16) == (64, (4, 1))
    with pytest.raises(ValueError, match="64x8; the models take aspect ratios up to 4:1"):
        init_res_for(8, 64)
    with pytest.raises(ValueError, match="48x32; the models need power-of-two sides"):
        init_res_for(32, 48)
    with pytest.raises(ValueError, match="init_res must be"):
        model_config("stylegan2", img_resolution=32, init_res=(3, 4))


@pytest.mark.parametrize("family", sorted(MODELS))
def test_models_make_and_judge_wide_images(family):
    cfg = MODELS[family]
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert G.img_shape == (16, 32)
    img = G(torch.randn(4, 16), None)
    assert img.shape == (4, 3, 16, 32)
    assert D(img, None).shape == (4, 1)
    with pytest.raises(Exception, match="img|shape|size"):
        D(torch.zeros(4, 3, 32, 32), None)


def test_square_models_keep_their_parameter_shapes():
    cfg = model_config("stylegan2", img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128,
                       channel_max=16)
    G, D = build_generator(cfg), build_discriminator(cfg)
    assert G.synthesis.b4.const.shape == (16, 4, 4) and G.synthesis.b16.conv1.noise_const.shape == (16, 16)
    assert D.b4.fc.weight.shape[1] == 16 * 4 * 4


@pytest.mark.parametrize("family", sorted(MODELS))
def test_wide_dataset_trains_resumes_and_generates(tmp_path, capsys, family):
    data = make_wide_dataset(tmp_path / "wide")
    cfg = tiny_config(data, tmp_path / "runs", model=MODELS[family].to_dict(), grid_size=3, kimg=0.008,
                      aug="fixed", aug_p=0.5)
    first = train(cfg)
    ckpt = load_checkpoint(first.last_checkpoint)
    assert ckpt.config["model"]["arch"]["init_res"] == [2, 4]
    with Image.open(first.run_dir / "fakes000000.png") as grid:
        assert grid.size == (3 * 32, 3 * 16)
    resumed = train(tiny_config(data, tmp_path / "runs", kimg=0.016), resume=str(first.run_dir))
    assert resumed.cur_nimg == 16
    out = tmp_path / "gen"
    assert main(["generate", "--network", str(resumed.last_checkpoint), "--seeds", "0-1", "--grid",
                 "--outdir", str(out)]) == 0
    with Image.open(out / "seed0000.png") as img:
        assert img.size == (32, 16)
    with Image.open(out / "grid.png") as grid:
        assert grid.size[0] / grid.size[1] in (2.0, 4.0)


def test_swd_on_wide_images_is_zero_on_itself_and_keyed_by_the_long_side():
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.integers(0, 256, (8, 3, 32, 64), dtype=np.uint8))
    b = torch.from_numpy(rng.integers(0, 256, (8, 3, 32, 64), dtype=np.uint8))
    same = swd(a, a, sorter="numpy")
    assert set(same) == {"SWDx1e3_64", "SWDx1e3_32", "SWDx1e3_avg"} and same["SWDx1e3_avg"] == 0
    assert swd(a, b, sorter="numpy")["SWDx1e3_avg"] > 0


def test_dry_run_of_a_wide_dataset_resolves_init_res(tmp_path, capsys):
    data = make_wide_dataset(tmp_path / "wide")
    assert main(["train", "--data", str(data), "--cfg", "cpu", "--dry-run"]) == 0
    arch = json.loads(capsys.readouterr().out)["model"]["arch"]
    assert arch["img_resolution"] == 32 and arch["init_res"] == [2, 4]
