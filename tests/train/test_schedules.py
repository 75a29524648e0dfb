"""Schedules: the pure functions against hand-computed values, parsing, and a short run whose lr and R1 weight
follow cosine schedules, checked against the values the optimiser and the penalty actually used."""

import math

import pytest
import torch

from ganforge.losses.objective import GANObjective
from ganforge.train import schedules
from ganforge.train.config import TrainConfig
from ganforge.train.loop import train
from ganforge.train.schedules import Schedule, parse_schedule
from tests.train.test_loop import TINY, make_folder_dataset


def test_schedule_functions_hand_computed():
    assert schedules.constant(123, start=0.5) == 0.5
    # linear 10 -> 2 over 4 kimg: at 1 kimg a quarter of the way
    assert schedules.linear(1000, start=10, end=2, ramp_kimg=4) == pytest.approx(8.0)
    assert schedules.linear(9000, start=10, end=2, ramp_kimg=4) == 2.0
    # cosine: half-way is the mean; warm-up ramps from 0 to start first
    assert schedules.cosine(2000, start=10, end=2, ramp_kimg=4) == pytest.approx(6.0)
    assert schedules.cosine(1000, start=10, end=2, ramp_kimg=4) == pytest.approx(2 + 8 * (1 + math.cos(math.pi / 4)) / 2)
    assert schedules.cosine(500, start=10, end=2, ramp_kimg=4, warmup_kimg=1) == pytest.approx(5.0)
    assert schedules.cosine(1000 + 2000, start=10, end=2, ramp_kimg=4, warmup_kimg=1) == pytest.approx(6.0)
    assert schedules.step(2500, start=1.0, factor=0.5, every_kimg=1) == 0.25
    points = ((0.0, 1.0), (2.0, 3.0), (4.0, 3.0))
    assert [schedules.piecewise(n, points=points) for n in (0, 1000, 3000, 9000)] == [1.0, 2.0, 3.0, 3.0]


def test_parse_schedule_and_errors():
    s = parse_schedule("reg.r1=cosine,start=10,end=1,ramp_kimg=500")
    assert s == Schedule(target="reg.r1", kind="cosine", start=10.0, end=1.0, ramp_kimg=500.0)
    assert s.value(250_000, base=99) == pytest.approx(5.5)
    assert parse_schedule("G.lr=linear,end=0,ramp_kimg=10").value(0, base=0.002) == 0.002  # start=None: the config's
    p = parse_schedule("augment.p=piecewise,points=0:0;10:0.5")
    assert p.value(5000, base=0) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="unknown schedule 'wavy'; known: constant, cosine, grow, linear, piecewise, step"):
        parse_schedule("G.lr=wavy")
    with pytest.raises(ValueError, match="bad parameter"):
        parse_schedule("G.lr=linear,stop=1")
    with pytest.raises(ValueError, match="needs end"):
        parse_schedule("G.lr=cosine,start=1")


def test_unknown_target_lists_the_valid_ones(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    cfg = TrainConfig.from_flat(data=str(data), outdir=str(tmp_path / "runs"), model=TINY.to_dict(), batch=4,
                                kimg=0.008, progress=False, tensorboard=False, device="cpu")
    bad = cfg.replace(schedules=[{"target": "reg.r3", "kind": "constant", "start": 1.0}])
    with pytest.raises(ValueError, match=r"unknown schedule target 'reg.r3'; valid: G.lr, D.lr, .*reg.r1, reg.pl"):
        train(bad)
    adaptive = cfg.replace(schedules=[{"target": "augment.p", "kind": "constant", "start": 0.3}],
                           augment={"mode": "ada"})
    with pytest.raises(ValueError, match="needs --aug fixed"):
        train(adaptive)


def test_lr_and_penalty_weight_follow_cosine_schedules(tmp_path, monkeypatch):
    """G's lr and R1's weight follow cosine schedules over 64 images; D's lr stays constant. What Adam used at each
    step and what the R1 phase multiplied its penalty by are recorded and compared with the schedule."""
    data = make_folder_dataset(tmp_path / "data")
    lr_s = parse_schedule("G.lr=cosine,start=0.01,end=0.001,ramp_kimg=0.064")
    r1_s = parse_schedule("reg.r1=cosine,start=5,end=1,ramp_kimg=0.064")
    cfg = TrainConfig.from_flat(data=str(data), outdir=str(tmp_path / "runs"), model=TINY.to_dict(), batch=4,
                                kimg=0.064, tick_kimg=0.064, r1_gamma=3.0, r1_interval=2, pl_weight=0.0, g_lr=0.5,
                                d_lr=0.002, progress=False, tensorboard=False, device="cpu", grid_size=2)
    cfg = cfg.replace(schedules=[lr_s.to_dict(), r1_s.to_dict()])
    used_lr = {"G": [], "D": []}
    r1_uses = []
    adam_step, compute = torch.optim.Adam.step, GANObjective.compute

    def record_step(opt, *args, **kwargs):
        n_params = sum(p.numel() for g in opt.param_groups for p in g["params"])
        used_lr["G" if n_params == G_params[0] else "D"].append(opt.param_groups[0]["lr"])
        return adam_step(opt, *args, **kwargs)

    def record_compute(self, phase, *args, cur_nimg=0, **kwargs):
        out = compute(self, phase, *args, cur_nimg=cur_nimg, **kwargs)
        if phase.name == "Dreg":
            r1_uses.append((cur_nimg, self.live["reg.r1"], out.loss.item(), out.stats["Loss/r1_penalty"].mean().item()))
        return out

    from ganforge.models import build_generator

    G_params = [sum(p.numel() for p in build_generator(TINY).parameters())]
    monkeypatch.setattr(torch.optim.Adam, "step", record_step)
    monkeypatch.setattr(GANObjective, "compute", record_compute)
    result = train(cfg)
    steps = [4 * i for i in range(16)]  # cur_nimg before each minibatch
    assert result.stats["Schedule/G.lr"] == pytest.approx(lr_s.value(64, 0.5))  # the tick reports the values in use
    assert result.stats["Schedule/reg.r1"] == pytest.approx(r1_s.value(64, 3.0))
    assert used_lr["G"] == pytest.approx([lr_s.value(n, 0.5) for n in steps], rel=1e-12)  # G: no lazy term
    r = 2 / 3  # D: R1 every 2 minibatches -> lr * 2/3 (train/phases.py), constant
    assert used_lr["D"] == pytest.approx([0.002 * r] * (16 + 8), rel=1e-12)
    assert [n for n, *_ in r1_uses] == steps[::2]
    for n, weight, loss, penalty in r1_uses:
        assert weight == pytest.approx(r1_s.value(n, 3.0), rel=1e-12)
        # lazy R1: mean(penalty) * gamma / 2 * interval, with the scheduled gamma
        assert loss == pytest.approx(penalty * weight * 0.5 * 2, rel=1e-5)
    assert r1_uses[0][1] == 5.0 and 1.0 < r1_uses[-1][1] < 1.2  # 56 of 64 images: near the end value
