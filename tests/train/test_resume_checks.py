"""``--resume``: ``latest`` never continues a run of another dataset, ``--data`` finds a moved dataset (checked by its
fingerprint), and flags a resume cannot change are refused instead of silently ignored."""

from __future__ import annotations

import shutil

import pytest

from ganforge.cli.main import main
from ganforge.data import ImageDataset
from ganforge.train.checkpoint import find_checkpoints, load_checkpoint
from ganforge.train.loop import train
from tests.train.test_loop import make_folder_dataset, tiny_config


@pytest.fixture
def two_datasets(tmp_path):
    a = make_folder_dataset(tmp_path / "a", n=8)
    b = make_folder_dataset(tmp_path / "b", n=9)
    return a, b


def test_fingerprint_survives_a_move_and_tells_datasets_apart(tmp_path, two_datasets):
    a, b = two_datasets
    moved = tmp_path / "moved"
    shutil.copytree(a, moved)
    assert ImageDataset(a).fingerprint() == ImageDataset(moved).fingerprint()
    assert ImageDataset(a).fingerprint() != ImageDataset(b).fingerprint()


def test_latest_passes_over_a_dead_run_and_a_run_of_another_dataset(tmp_path, two_datasets, capsys):
    a, b = two_datasets
    runs = tmp_path / "runs"
    first = train(tiny_config(a, runs, kimg=0.008))
    assert load_checkpoint(first.last_checkpoint).config["data"]["fingerprint"] == ImageDataset(a).fingerprint()
    dead = train(tiny_config(b, runs, kimg=0.008))  # a run of b that "died" before its first checkpoint
    for path in find_checkpoints(dead.run_dir):
        path.unlink()
    # --data b: the only run of b has no checkpoint, and the run of a is of another dataset -> refused, saying why
    assert main(["train", "--outdir", str(runs), "--resume", "latest", "--data", str(b), "--kimg", "0.016"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint yet" in err and "trained on another dataset" in err and err.count("\n") == 1
    # --data a: continues the run of a and says which runs it passed over
    resumed = train(tiny_config(a, runs, kimg=0.016), resume="latest")
    assert resumed.run_dir == first.run_dir and resumed.cur_nimg == 16
    log = (first.run_dir / "log.txt").read_text()
    assert f"continuing {first.run_dir.name}" in log and f"{dead.run_dir.name}: no checkpoint yet" in log


def test_data_on_resume_finds_a_moved_dataset_and_refuses_another(tmp_path, two_datasets, capsys):
    a, b = two_datasets
    runs = tmp_path / "runs"
    first = train(tiny_config(a, runs, kimg=0.008))
    moved = tmp_path / "elsewhere"
    a.rename(moved)
    assert main(["train", "--outdir", str(runs), "--resume", "latest", "--kimg", "0.016", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert str(a) in err and "--data" in err and "Traceback" not in err
    assert main(["train", "--outdir", str(runs), "--resume", str(first.run_dir), "--data", str(b),
                 "--kimg", "0.016"]) == 2
    assert "not the one this run trained on" in capsys.readouterr().err
    resumed = train(tiny_config(moved, runs, kimg=0.016), resume=str(first.run_dir))
    assert resumed.cur_nimg == 16 and load_checkpoint(resumed.last_checkpoint).config["data"]["path"] == str(moved)


@pytest.mark.parametrize("flags,named", [(["--glr", "0.01"], "--glr"), (["--batch", "8"], "--batch"),
                                         (["--cfg", "paper256"], "--cfg"), (["--gamma", "7"], "--reg r1"),
                                         (["--mirror"], "--mirror"), (["--aug", "ada"], "--aug")])
def test_options_a_resume_cannot_change_are_refused(tmp_path, two_datasets, capsys, flags, named):
    a, _ = two_datasets
    runs = tmp_path / "runs"
    first = train(tiny_config(a, runs, kimg=0.008))
    before = find_checkpoints(first.run_dir)
    assert main(["train", "--outdir", str(runs), "--resume", "latest", "--kimg", "0.016", *flags]) == 2
    err = capsys.readouterr().err
    assert named in err and "--resume-from" in err and err.count("\n") == 1
    assert find_checkpoints(first.run_dir) == before  # nothing trained, nothing written


def test_same_values_and_resumable_options_are_accepted(tmp_path, two_datasets):
    a, _ = two_datasets
    runs = tmp_path / "runs"
    first = train(tiny_config(a, runs, kimg=0.008))
    saved = load_checkpoint(first.last_checkpoint).config
    assert main(["train", "--outdir", str(runs), "--resume", "latest", "--kimg", "0.016", "--batch",
                 str(saved["run"]["batch"]), "--keep", "3", "--snap", "2", "--no-progress", "--no-tensorboard",
                 "--device", "cpu"]) == 0
    assert load_checkpoint(find_checkpoints(first.run_dir)[-1]).state["train"]["cur_nimg"] == 16
