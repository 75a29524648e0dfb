"""The training loop end to end on a tiny net: parameters move, resume is bit-exact, 2-process DDP = 1 process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli.main import main
from ganforge.models import model_config
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.loop import train

TINY = model_config("stylegan2", img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128,
                    channel_max=16, mbstd_group_size=2)


def make_folder_dataset(root: Path, n: int = 24, labels: bool = False) -> Path:
    """``n`` 16x16 RGB images of coloured squares (+ an official ``dataset.json`` with labels)."""
    rng = np.random.RandomState(0)
    root.mkdir(parents=True)
    entries = []
    for i in range(n):
        img = np.full([16, 16, 3], 255, np.uint8)
        x, y, s = rng.randint(0, 8), rng.randint(0, 8), rng.randint(4, 8)
        img[y:y + s, x:x + s] = rng.randint(0, 255, 3)
        name = f"img{i:08d}.png"
        Image.fromarray(img).save(root / name)
        entries.append([name, i % 3])
    if labels:
        (root / "dataset.json").write_text(json.dumps({"labels": entries}))
    return root


def tiny_config(data: Path, outdir: Path, **overrides) -> TrainConfig:
    values = dict(data=str(data), outdir=str(outdir), model=TINY.to_dict(), batch=4, kimg=0.016, tick_kimg=0.008,
                  snapshot_ticks=1, image_ticks=1, grid_size=2, r1_interval=2, pl_interval=2, progress=False,
                  tensorboard=False, device="cpu", keep_checkpoints=0)
    values.update(overrides)
    return TrainConfig.from_dict(values)


def assert_same_checkpoints(a: Path, b: Path, atol: float = 0.0) -> None:
    ca, cb = load_checkpoint(a), load_checkpoint(b)
    for name in ("G", "D", "G_ema"):
        assert ca.modules[name].keys() == cb.modules[name].keys()
        for key, value in ca.modules[name].items():
            other = cb.modules[name][key]
            if atol == 0:
                assert torch.equal(value, other), f"{name}.{key} differs"
            else:
                torch.testing.assert_close(value, other, atol=atol, rtol=atol, msg=f"{name}.{key} differs")
    for name in ("G", "D"):
        sa, sb = ca.optimizers[name]["state"], cb.optimizers[name]["state"]
        assert sa.keys() == sb.keys()
        for idx in sa:
            for key in ("exp_avg", "exp_avg_sq"):
                torch.testing.assert_close(sa[idx][key], sb[idx][key], atol=atol, rtol=atol)
    assert ca.state["train"]["cur_nimg"] == cb.state["train"]["cur_nimg"]
    assert set(ca.state["terms"]) == set(cb.state["terms"])
    for term in ca.state["terms"]:  # pl_mean, w_avg, LeCam anchors, ADA p
        for key, value in ca.state["terms"][term].items():
            torch.testing.assert_close(torch.as_tensor(value), torch.as_tensor(cb.state["terms"][term][key]),
                                       atol=max(atol, 1e-7), rtol=0)


def test_training_steps_change_every_parameter_and_write_the_run_folder(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    cfg = tiny_config(data, tmp_path / "runs", tensorboard=True)
    result = train(cfg)
    ckpt = load_checkpoint(result.last_checkpoint)
    torch.manual_seed(cfg.seed)
    from ganforge.models import build_discriminator, build_generator

    G0, D0 = build_generator(TINY), build_discriminator(TINY)
    for name, init in (("G", G0), ("D", D0)):
        for key, value in init.named_parameters():
            trained = ckpt.modules[name][key]
            assert torch.isfinite(trained).all(), f"{name}.{key} has NaN/inf"
            assert not torch.equal(trained, value.detach()), f"{name}.{key} did not change"
    run = result.run_dir
    assert json.loads((run / "config.json").read_text())["run"]["batch"] == 4
    records = [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]
    assert [r["kimg"] for r in records] == [0.008, 0.016]
    assert {"Loss/G/loss", "Loss/D/loss", "Loss/r1_penalty", "Loss/pl_mean", "Timing/sec_per_kimg"} <= set(records[-1])
    assert all(np.isfinite(v) for r in records for v in r.values())
    assert (run / "reals.png").is_file() and (run / "fakes_init.png").is_file() and (run / "fakes000000.png").is_file()
    assert "tick 1" in (run / "log.txt").read_text()
    assert list(run.glob("events.out.tfevents.*")), "no TensorBoard event file"
    # both ticks (8 and 16 images) are below 1 kimg: the second snapshot gets a suffix instead of replacing the first
    assert [p.name for p in find_checkpoints(run)] == ["network-snapshot-000000.safetensors",
                                                       "network-snapshot-000000_016.safetensors"]
    assert ckpt.state["train"]["cur_nimg"] == 16


def test_resume_is_bit_exact(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    straight = train(tiny_config(data, tmp_path / "a", kimg=0.032))
    half = train(tiny_config(data, tmp_path / "b", kimg=0.016))
    resumed = train(tiny_config(data, tmp_path / "b", kimg=0.032), resume=str(half.run_dir))
    assert resumed.run_dir == half.run_dir
    assert_same_checkpoints(straight.last_checkpoint, resumed.last_checkpoint)
    # the log continues where it stopped: same ticks as the straight run, none repeated
    ticks = [[json.loads(line)["Progress/tick"] for line in (run.run_dir / "stats.jsonl").read_text().splitlines()]
             for run in (straight, resumed)]
    assert ticks[0] == ticks[1] == [0.0, 1.0, 2.0, 3.0]


def test_conditional_mirrored_training_runs(tmp_path):
    data = make_folder_dataset(tmp_path / "data", labels=True)
    result = train(tiny_config(data, tmp_path / "runs", cond=True, mirror=True, kimg=0.008, model=None, cfg="cpu",
                               channel_base=128, channel_max=16))
    ckpt = load_checkpoint(result.last_checkpoint)
    assert ckpt.config["model"]["arch"]["c_dim"] == 3 and ckpt.config["data"]["mirror"] is True
    assert ckpt.state["train"]["sampler"]["size"] == 48  # 24 images + their x-flips
    assert "mapping.embed.weight" in ckpt.modules["G"]


def test_dry_run_prints_resolved_config(tmp_path, capsys):
    data = make_folder_dataset(tmp_path / "data")
    assert main(["train", "--data", str(data), "--cfg", "auto", "--dry-run"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["run"]["batch"] == 32 and cfg["model"]["arch"]["img_resolution"] == 16
    assert cfg["loss"]["regs"][0] == {"name": "r1", "weight": pytest.approx(0.0002 * 256 / 32), "interval": 16}
    assert not (tmp_path / "runs").exists()


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "missing.zip"), "--kimg", "1"]) == 2
    assert "missing.zip" in capsys.readouterr().err
    assert main(["train", "--outdir", str(tmp_path), "--resume", "latest"]) == 2


def test_two_process_gloo_equals_one_process_with_accumulation(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    common = ["--data", str(data), "--batch", "8", "--batch-gpu", "4", "--kimg", "0.032", "--tick", "0.016",
              "--snap", "1", "--img-snap", "0", "--device", "cpu", "--no-progress", "--no-tensorboard",
              "--cbase", "128", "--cmax", "16", "--cfg", "cpu", "--r1-interval", "2", "--pl-interval", "2"]
    single = tiny_config(data, tmp_path / "single", batch=8, batch_gpu=4, kimg=0.032, tick_kimg=0.016,
                         model=None, cfg="cpu", channel_base=128, channel_max=16, image_ticks=0,
                         r1_interval=2, pl_interval=2)
    one = train(single)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "ganforge.cli.main", "train", "--outdir", str(tmp_path / "ddp"), *common]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    two = find_checkpoints(next((tmp_path / "ddp").iterdir()))[-1]
    assert_same_checkpoints(one.last_checkpoint, two, atol=1e-5)


def test_resume_past_the_end_says_so(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    train(tiny_config(data, tmp_path / "runs", kimg=0.008))
    with pytest.raises(ValueError, match="already at 0.008 kimg"):
        train(tiny_config(data, tmp_path / "runs", kimg=0.008), resume="latest")
