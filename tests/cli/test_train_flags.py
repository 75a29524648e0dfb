"""Every ``ganforge train`` flag lands in the resolved, sectioned config (a flag that maps nowhere is a silent no-op)."""

from __future__ import annotations

import json

import pytest

from ganforge.cli.main import main
from tests.train.test_loop import make_folder_dataset

# flag values -> (dotted path in the resolved config.json, expected value)
CASES = [
    (["--glr", "0.001"], "optim.G.lr", 0.001),
    (["--dlr", "0.003"], "optim.D.lr", 0.003),
    (["--ema", "2.5"], "optim.ema_kimg", 2.5),
    (["--gamma", "3"], "loss.regs.0.weight", 3.0),
    (["--r1-interval", "8"], "loss.regs.0.interval", 8),
    (["--pl-weight", "1.5"], "loss.regs.1.weight", 1.5),
    (["--mixing", "0.5"], "loss.style_mixing_prob", 0.5),
    (["--loss", "hinge"], "loss.adversarial", "hinge"),
    (["--d", "projected"], "loss.adversarial", "hinge"),  # the projected D's default loss
    (["--d", "projected", "--d-opt", "backbone_res=64", "--d-opt", "diffaug=color"], "model.d_options",
     {"backbone_res": 64, "diffaug": "color"}),
    (["--cbase", "4096"], "model.arch.channel_base", 4096),
    (["--cmax", "64"], "model.arch.channel_max", 64),
    (["--map", "3"], "model.arch.mapping_layers", 3),
    (["--mbstd-group", "2"], "model.arch.mbstd_group_size", 2),
    (["--g-arch", "resnet"], "model.arch.g_architecture", "resnet"),
    (["--d-arch", "orig"], "model.arch.d_architecture", "orig"),
    (["--batch", "8"], "run.batch", 8),
    (["--batch", "8", "--batch-gpu", "4"], "run.batch_gpu", 4),
    (["--kimg", "3"], "run.kimg", 3.0),
    (["--tick", "0.5"], "run.tick_kimg", 0.5),
    (["--snap", "7"], "run.snapshot_ticks", 7),
    (["--img-snap", "3"], "run.image_ticks", 3),
    (["--keep", "2"], "run.keep_checkpoints", 2),
    (["--grid", "3"], "run.grid_size", 3),
    (["--seed", "9"], "run.seed", 9),
    (["--threads", "1"], "run.num_threads", 1),
    (["--mirror"], "data.mirror", True),
    (["--aug", "ada", "--target", "0.7", "--ada-kimg", "100"], "augment.target", 0.7),
    (["--aug", "ada", "--augpipe", "bg"], "augment.pipe", "bg"),
    (["--aug", "fixed", "--p", "0.2"], "augment.p", 0.2),
    (["--reg", "lecam:0.3"], "loss.regs.2.weight", 0.3),
    (["--schedule", "G.lr=cosine,start=0.002,end=0.001,ramp_kimg=10"], "schedules.0.target", "G.lr"),
    (["--metrics", "swd1k", "--metric-ticks", "2"], "metrics.ticks", 2),
    (["--model", "progan", "--growing"], "model.arch.growing", True),
    (["--model", "progan", "--growing", "--stage-batch", "4:32,8:32"], "run.stage_batch", [[4, 32], [8, 32]]),
]


def _get(tree, dotted: str):
    for key in dotted.split("."):
        tree = tree[int(key)] if isinstance(tree, list) else tree[key]
    return tree


@pytest.mark.parametrize("flags,path,expected", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_flag_reaches_the_resolved_config(tmp_path, capsys, flags, path, expected):
    data = make_folder_dataset(tmp_path / "data")
    assert main(["train", "--data", str(data), "--cfg", "cpu", "--dry-run", *flags]) == 0
    resolved = json.loads(capsys.readouterr().out)
    assert _get(resolved, path) == pytest.approx(expected) if isinstance(expected, float) else \
        _get(resolved, path) == expected
