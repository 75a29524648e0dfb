"""Metrics during training: when they run, where the records go, and the best metric in the checkpoint."""

import json

import pytest

from ganforge.cli.main import main
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.train.config import TrainConfig
from ganforge.train.evaluation import is_due
from ganforge.train.loop import train
from tests.train.test_loop import make_folder_dataset, tiny_config


@pytest.mark.parametrize("metric_ticks, tick, done, snapshot_due, expected", [
    (None, 3, False, True, True),    # default: with each snapshot
    (None, 3, False, False, False),
    (2, 4, False, False, True),      # every 2 ticks, snapshot or not
    (2, 3, False, True, False),
    (2, 3, True, False, True),       # always at the end
    (0, 5, False, True, False),
])
def test_is_due(metric_ticks, tick, done, snapshot_due, expected):
    cfg = TrainConfig.from_flat(metrics=("swd1k",), metric_ticks=metric_ticks)
    assert is_due(cfg, tick, done, snapshot_due) is expected
    assert is_due(TrainConfig(), tick, True, True) is False  # no metrics, never


def test_bad_metric_name_fails_before_training():
    with pytest.raises(ValueError, match="unknown metric"):
        TrainConfig.from_flat(metrics=("fid_everything",))


def test_metrics_every_tick_are_logged_and_the_best_is_kept(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    cfg = tiny_config(data, tmp_path / "runs", metrics=("swd16",), metric_ticks=1, metrics_cache=str(tmp_path / "c"))
    result = train(cfg)
    lines = [json.loads(x) for x in (result.run_dir / "metric-swd16.jsonl").read_text().splitlines()]
    assert [r["kimg"] for r in lines] == [0.008, 0.016]  # two ticks of 8 images
    assert all(r["protocol"]["num_gen"] == 16 and r["protocol"]["dataset"] == str(data) for r in lines)
    # the second snapshot within kimg 0 has its own name (issue 16), and the record names the file that was saved
    assert lines[-1]["network"].endswith("network-snapshot-000000_016.safetensors")
    assert lines[-1]["network"] == str(find_checkpoints(result.run_dir)[-1])
    state = load_checkpoint(find_checkpoints(result.run_dir)[-1]).state["train"]
    assert state["best_metric"] == pytest.approx(min(r["results"]["swd16"] for r in lines))
    log = (result.run_dir / "log.txt").read_text()
    assert log.count("metrics swd16") == 2


def test_resume_can_add_metrics(tmp_path):
    data = make_folder_dataset(tmp_path / "data")
    first = train(tiny_config(data, tmp_path / "runs", kimg=0.008))
    assert not list(first.run_dir.glob("metric-*.jsonl"))
    code = main(["train", "--outdir", str(tmp_path / "runs"), "--resume", str(first.run_dir), "--kimg", "0.016",
                 "--metrics", "swd8", "--no-progress", "--no-tensorboard"])
    assert code == 0
    (line,) = (first.run_dir / "metric-swd8.jsonl").read_text().splitlines()
    assert json.loads(line)["kimg"] == 0.016
