"""ADA / DiffAugment in the training loop: p moves and is logged, resume restores p exactly, p = 0 is noaug."""

import json

import pytest
import torch

from ganforge.cli.main import main  # noqa: F401  (registers the subcommands)
from ganforge.cli.train import add_parser, config_from_args
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.loop import train
from tests.train.test_loop import assert_same_checkpoints, make_folder_dataset, tiny_config


def ticks(run_dir):
    return [json.loads(line) for line in (run_dir / "stats.jsonl").read_text().splitlines()]


def test_ada_moves_p_logs_it_and_checkpoints_it(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    # batch 4, interval 4, ada_kimg 0.16: each update moves p by 4 * 4 / 160 = 0.1 (r_t is a multiple of 1/16)
    cfg = tiny_config(data, tmp_path / "runs", kimg=0.032, aug="ada", aug_p=0.5, ada_kimg=0.16, ada_interval=4)
    result = train(cfg)
    p_values = [t["Progress/augment"] for t in ticks(result.run_dir)]
    assert len(p_values) == 4
    assert all(abs(round(p * 10) - p * 10) < 1e-9 for p in p_values)  # 0.5 +- k * 0.1
    assert p_values[0] == 0.5  # the first update happens after 4 minibatches, the first tick ends after 2
    assert p_values[1] != 0.5 and p_values[3] != p_values[1]
    assert all("Augment/rt" in t for t in ticks(result.run_dir)[1::2])
    state = load_checkpoint(result.last_checkpoint).state["terms"]["ada"]
    assert float(state["p"]) == p_values[-1]
    assert "augment" in (result.run_dir / "log.txt").read_text()


def test_resume_restores_p_and_the_sign_accumulator_bit_exactly(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    common = dict(aug="ada", aug_p=0.3, ada_kimg=0.16, ada_interval=4, augpipe="bgcfnc")
    straight = train(tiny_config(data, tmp_path / "a", kimg=0.024, **common))
    first = train(tiny_config(data, tmp_path / "b", kimg=0.012, **common))  # stops mid-interval (3 minibatches)
    mid = load_checkpoint(first.last_checkpoint).state["terms"]["ada"]
    assert mid["acc"][1] > 0  # an unfinished interval is carried over
    resumed = train(tiny_config(data, tmp_path / "b", kimg=0.024, **common), resume=str(first.run_dir))
    a, b = find_checkpoints(straight.run_dir)[-1], find_checkpoints(resumed.run_dir)[-1]
    assert_same_checkpoints(a, b)
    sa, sb = load_checkpoint(a).state["terms"]["ada"], load_checkpoint(b).state["terms"]["ada"]
    assert float(sa["p"]) == float(sb["p"]) != 0.3
    assert torch.equal(torch.as_tensor(sa["acc"]), torch.as_tensor(sb["acc"]))


def test_fixed_p_zero_is_exactly_noaug_and_diffaug_differs(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    base = train(tiny_config(data, tmp_path / "noaug"))
    fixed0 = train(tiny_config(data, tmp_path / "fixed0", aug="fixed", aug_p=0.0))
    assert_same_checkpoints(base.last_checkpoint, fixed0.last_checkpoint)
    fixed = train(tiny_config(data, tmp_path / "fixed", aug="fixed", aug_p=0.3))
    assert [t["Progress/augment"] for t in ticks(fixed.run_dir)] == [0.3, 0.3]
    diff = train(tiny_config(data, tmp_path / "diff", aug="diffaug"))
    for run in (fixed, diff):
        d0, d1 = load_checkpoint(base.last_checkpoint).modules["D"], load_checkpoint(run.last_checkpoint).modules["D"]
        assert any(not torch.equal(d0[k], d1[k]) for k in d0)


def test_options_are_validated_and_mapped_from_the_official_flags():
    import argparse

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers())
    args = parser.parse_args(["train", "--data", "x.zip", "--aug", "ada", "--p", "0.2", "--target", "0.7",
                              "--augpipe", "bgcfnc", "--ada-kimg", "100", "--freezed", "2", "--map-lr-mult", "0.01",
                              "--resume-from", "net.pkl", "--diffaug-policy", "color"])
    cfg = config_from_args(args)
    assert (cfg.aug, cfg.aug_p, cfg.ada_target, cfg.augpipe, cfg.ada_kimg) == ("ada", 0.2, 0.7, "bgcfnc", 100)
    assert (cfg.freezed, cfg.mapping_lr_mult, cfg.resume_from, cfg.diffaug_policy) == (2, 0.01, "net.pkl", "color")
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    for bad, flag in ((dict(aug="sometimes"), "--aug"), (dict(aug_p=2.0), "--p"), (dict(ada_target=3.0), "--target"),
                      (dict(augpipe="xyz"), "augpipe"), (dict(diffaug_policy="color,blur"), "blur"),
                      (dict(freezed=-1), "--freezed"), (dict(ada_kimg=0.0), "--ada-kimg"),
                      (dict(mapping_lr_mult=0.0), "--map-lr-mult")):
        with pytest.raises(ValueError, match=flag):
            TrainConfig.from_flat(**bad)
