"""R3GAN recipes and tools: the presets' cosine schedules equal the formula, training resumes exactly mid-schedule,
and every tool works on an R3GAN checkpoint (or says in one line that it needs a W space)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.models import model_config
from ganforge.train.hparams import HyperParams
from ganforge.train.loop import train
from ganforge.train.presets import preset_config, resolve_config
from tests.train.test_loop import assert_same_checkpoints, make_folder_dataset, tiny_config

TINY = model_config("r3gan", img_resolution=16, z_dim=8, channel_base=128, channel_max=16, group_size=8, embed_dim=8)


def cosine(n: float, start: float, end: float, ramp_kimg: float) -> float:
    t = min(n / 1000 / ramp_kimg, 1.0)
    return start + (end - start) * (1 - math.cos(math.pi * t)) / 2


@pytest.mark.parametrize("name", ["r3gan-cpu", "r3gan-cifar", "r3gan-ffhq64"])
def test_recipe_schedules_equal_the_cosine_formula(name):
    cfg = resolve_config(preset_config(name), resolution=32, img_channels=3, c_dim=0)
    assert cfg.model.family == "r3gan" and cfg.loss.adversarial == "rpgan"
    assert [(r.name, r.interval) for r in cfg.loss.regs] == [("r1r2", 0)]
    hp = HyperParams(cfg)
    ramp = cfg.schedules[0].ramp_kimg
    for s in cfg.schedules:
        for frac in (0.0, 0.25, 0.5, 1.0, 1.5):
            n = frac * ramp * 1000
            assert hp.value(s.target, n) == pytest.approx(cosine(n, s.start, s.end, ramp), rel=1e-12), (s.target, n)
    lr0, (b1, b2) = hp.adam("G", 0)
    assert (lr0, b1, b2) == (cfg.optim.G.lr, 0.0, 0.9) and hp.adam("D", ramp * 1000)[1][1] == pytest.approx(0.99)
    assert hp.value("ema_kimg", 0) == 0.0  # the EMA half-life rises from 0: G_ema follows G at first


def test_aug_ada_drops_the_recipes_p_schedule():
    cfg = preset_config("r3gan-cifar", {"augment": {"mode": "ada"}})
    assert cfg.augment.mode == "ada" and "augment.p" not in [s.target for s in cfg.schedules]
    assert "augment.p" in [s.target for s in preset_config("r3gan-cifar").schedules]


def _recipe_run(data, outdir, kimg):
    schedules = [{"target": t, "kind": "cosine", "start": a, "end": b, "ramp_kimg": 0.032}
                 for t, a, b in (("G.lr", 1e-3, 2e-4), ("D.lr", 1e-3, 2e-4), ("G.beta2", 0.9, 0.99),
                                 ("reg.r1r2", 0.2, 0.02), ("ema_kimg", 0.0, 0.01))]
    cfg = tiny_config(data, outdir, model=TINY.to_dict(), loss="rpgan", r1_gamma=0.2, r1_interval=None,
                      pl_interval=None, kimg=kimg, betas=(0.0, 0.9), ema_kimg=0.01, ema_rampup=None)
    return cfg.replace(schedules=schedules)


def test_exact_resume_mid_schedule(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    straight = train(_recipe_run(data, tmp_path / "a", 0.032))
    half = train(_recipe_run(data, tmp_path / "b", 0.016))
    resumed = train(_recipe_run(data, tmp_path / "b", 0.032), resume=str(half.run_dir))
    assert_same_checkpoints(straight.last_checkpoint, resumed.last_checkpoint)
    assert resumed.stats["Schedule/reg.r1r2"] == pytest.approx(0.02)


@pytest.fixture(scope="module")
def r3_ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp("r3")
    data = make_folder_dataset(root / "data")
    return train(tiny_config(data, root / "runs", model=TINY.to_dict(), loss="rpgan", kimg=0.008)).last_checkpoint, data


def test_tools_on_an_r3gan_checkpoint(r3_ckpt, tmp_path, capsys):
    ckpt, data = r3_ckpt
    out = tmp_path / "walk"
    assert main(["interpolate", "--network", str(ckpt), "--seeds", "0-2", "--frames", "3", "--out", "walk.gif",
                 "--outdir", str(out)]) == 0
    assert (out / "walk.gif").is_file()
    assert main(["project", "--network", str(ckpt), "--target", str(data / "img00000000.png"), "--steps", "5",
                 "--outdir", str(tmp_path / "proj")]) == 0
    assert "projected_z.npz (z: this generator has no W space)" in capsys.readouterr().out
    with np.load(tmp_path / "proj" / "projected_z.npz") as z:
        assert z["z"].shape == (1, 8)
    assert json.loads((tmp_path / "proj" / "report.json").read_text())["space"] == "z"
    assert main(["metrics", "--network", str(ckpt), "--data", str(data), "--metrics", "swd0.024k",
                 "--no-progress"]) == 0
    with Image.open(tmp_path / "proj" / "proj_0000.png") as img:
        assert img.size == (16, 16)


@pytest.mark.parametrize("argv,what", [
    (["mix", "--rows", "0", "--cols", "1"], "style mixing needs a generator with a mapping network"),
    (["clusters", "--num-clusters", "2", "--num-samples", "10"], "W clusters needs a generator with a mapping network"),
    (["interpolate", "--seeds", "0,1", "--space", "w"], "needs a generator with a mapping network"),
    (["generate", "--seeds", "0", "--trunc", "0.7"], "truncation needs a generator with a mapping network"),
    (["activations", "--seeds", "0"], "needs a generator with a mapping network"),
    (["export", "--part", "synthesis", "--out", "g.onnx"], "--part synthesis needs a generator with a mapping"),
])
def test_w_space_tools_say_so_in_one_line(r3_ckpt, tmp_path, capsys, argv, what):
    ckpt, _ = r3_ckpt
    outdir = [] if argv[0] == "export" else ["--outdir", str(tmp_path)]
    assert main([argv[0], "--network", str(ckpt), *argv[1:], *outdir]) == 2
    err = capsys.readouterr().err
    assert what in err and "r3gan" in err and err.count("\n") == 1


def test_onnx_export_of_the_full_r3gan_generator_matches_pytorch(r3_ckpt, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    from ganforge.inference.loaded import load

    ckpt, _ = r3_ckpt
    assert main(["export", "--network", str(ckpt), "--out", str(tmp_path / "g.onnx")]) == 0
    G = load(ckpt).G
    z = torch.randn(2, 8)
    session = ort.InferenceSession(str(tmp_path / "g.onnx"))
    (got,) = session.run(None, {"z": z.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(got, G(z, None).numpy(), atol=1e-4)


def test_two_process_gloo_equals_one_process_for_the_r3gan_recipe(tmp_path):
    """rpgan pairs reals and fakes per process; R1 + R2 every step; the recipe's schedules: DDP == one process."""
    import os
    import subprocess
    import sys

    from ganforge.train.checkpoint import find_checkpoints

    data = make_folder_dataset(tmp_path / "data")
    common = ["train", "--data", str(data), "--cfg", "r3gan-cpu", "--batch", "8", "--batch-gpu", "4", "--kimg",
              "0.032", "--tick", "0.016", "--snap", "1", "--img-snap", "0", "--device", "cpu", "--no-progress",
              "--no-tensorboard", "--cbase", "128", "--cmax", "16"]
    assert main([*common, "--outdir", str(tmp_path / "single")]) == 0
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "ganforge.cli.main", *common, "--outdir", str(tmp_path / "ddp")]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    one = find_checkpoints(next((tmp_path / "single").iterdir()))[-1]
    two = find_checkpoints(next((tmp_path / "ddp").iterdir()))[-1]
    assert_same_checkpoints(one, two, atol=1e-5)
