"""``ganforge generate --translate X,Y --rotate DEG`` on a StyleGAN3 checkpoint: the content moves and turns."""

import numpy as np
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.inference import load
from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.train.checkpoint import save_checkpoint

from .conftest import write_run


def _sg3_checkpoint(tmp_path):
    cfg = model_config("stylegan3", img_resolution=16, z_dim=16, w_dim=16, channel_base=256, channel_max=16,
                       num_layers=4, mbstd_group_size=2)
    torch.manual_seed(0)
    G, D = build_generator(cfg), build_discriminator(cfg)
    return save_checkpoint(tmp_path / "sg3.safetensors", modules={"G": G, "D": D, "G_ema": G}, optimizers={},
                           config={"model": {"family": "stylegan3", "arch": cfg.to_dict()}}, state={"cur_nimg": 0})


def test_translate_and_rotate(tmp_path, capsys):
    ckpt = _sg3_checkpoint(tmp_path)
    common = ["generate", "--network", str(ckpt), "--seeds", "3", "--device", "cpu"]
    assert main(common + ["--outdir", str(tmp_path / "a")]) == 0
    assert main(common + ["--outdir", str(tmp_path / "b"), "--translate", "0.25,0"]) == 0
    assert main(common + ["--outdir", str(tmp_path / "c"), "--rotate", "90"]) == 0
    base, moved, turned = (np.asarray(Image.open(tmp_path / d / "seed0003.png")).astype(int) for d in "abc")
    assert np.abs(moved - base).mean() > 5  # something moved
    # the content moved 4 px (a quarter of 16) to the right: compare the part both show, away from the edges
    assert np.abs(moved[4:-4, 6:-2] - base[4:-4, 2:-6]).mean() < 0.5 * np.abs(moved - base)[4:-4, 6:-2].mean()
    net = load(ckpt)
    net.G.set_transform((0.0, 0.0), 90.0)
    assert np.array_equal(turned, net.generate([3]).numpy()[0])
    assert np.abs(turned - base).mean() > 5


def test_translate_errors_are_one_line(tmp_path, capsys):
    ckpt = _sg3_checkpoint(tmp_path)
    assert main(["generate", "--network", str(ckpt), "--translate", "0.1", "--outdir", str(tmp_path / "o")]) == 2
    assert "--translate must be X,Y" in capsys.readouterr().err
    sg2 = write_run(tmp_path / "run")
    assert main(["generate", "--network", str(sg2), "--rotate", "10", "--outdir", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "need a generator with a movable input (stylegan3, or stylegan2" in err
    assert "--g-input fourier); the stylegan2 generator has none" in err


def test_interpolation_walk_of_a_stylegan3_network(tmp_path, capsys):
    ckpt = _sg3_checkpoint(tmp_path)
    out = tmp_path / "walk.gif"
    assert main(["interpolate", "--network", str(ckpt), "--seeds", "0,1", "--frames", "3", "--out", str(out),
                 "--device", "cpu"]) == 0
    frames = Image.open(out)
    assert frames.n_frames == 4 and frames.size == (64, 64)  # 16 px, scaled up 4x by default
