"""Issue 16: retention keeps what it promises, snapshots never overwrite each other, forged (re-signed)
checkpoints are refused with one ValueError naming the file before any network is built."""

import json
import os
import threading
from pathlib import Path

import pytest
import safetensors.torch
import torch
from safetensors import safe_open

from ganforge.inference.loaded import load
from ganforge.train.checkpoint import (checkpoint_digest, find_checkpoints, load_checkpoint, prune_checkpoints,
                                       snapshot_path)
from tests.memory_bomb import PEAK_RSS_LIMIT_MB, cli_attack, one_line

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "wave1" / "stylegan2-ada-lecam.safetensors"


def touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


@pytest.mark.parametrize("count,keep,kept", [(2, 5, 2), (4, 5, 4), (3, 3, 3), (7, 5, 5), (6, 1, 1)])
def test_prune_keeps_exactly_the_newest_keep(tmp_path, count, keep, kept):
    touch(tmp_path, *(f"network-snapshot-{4 * i:06d}.safetensors" for i in range(count)))
    before = find_checkpoints(tmp_path)
    deleted = prune_checkpoints(tmp_path, keep)
    assert find_checkpoints(tmp_path) == before[count - kept:]  # the newest ones survive
    assert len(deleted) == count - kept


def test_snapshots_within_one_kimg_do_not_overwrite_each_other(tmp_path):
    names = []
    for nimg in (240, 480, 720, 960, 1200):  # --tick 0.24: four snapshots in kimg 0
        path = snapshot_path(tmp_path, nimg)
        assert not path.exists()
        path.write_bytes(b"x")
        names.append(path.name)
    assert names == ["network-snapshot-000000.safetensors", "network-snapshot-000000_480.safetensors",
                     "network-snapshot-000000_720.safetensors", "network-snapshot-000000_960.safetensors",
                     "network-snapshot-000001.safetensors"]
    assert [p.name for p in find_checkpoints(tmp_path)] == names == sorted(names)  # numeric order = text order
    assert [p.name for p in find_checkpoints(tmp_path)][-2:] == names[-2:]
    prune_checkpoints(tmp_path, 2)
    assert [p.name for p in find_checkpoints(tmp_path)] == names[-2:]


def test_the_loop_names_snapshots_with_snapshot_path(tmp_path):
    from types import SimpleNamespace

    from ganforge.train import loop

    (tmp_path / "network-snapshot-000000.safetensors").write_bytes(b"x")
    assert loop._snapshot_path(tmp_path, SimpleNamespace(cur_nimg=96)).name == "network-snapshot-000000_096.safetensors"


def forge(dst, *, config=None, tensors=None, metadata=None):
    """A copy of the wave-1 fixture with changes, re-signed with a valid sha256 (as an attacker can)."""
    with safe_open(str(FIXTURE), "pt") as f:
        meta = dict(f.metadata())
    data = safetensors.torch.load_file(str(FIXTURE))
    if config is not None:
        cfg = json.loads(meta["config"])
        config(cfg)
        meta["config"] = json.dumps(cfg)
    if tensors is not None:
        tensors(data)
    if metadata is not None:
        metadata(meta)
    try:
        meta["sha256"] = checkpoint_digest(meta, data)
    except KeyError:  # a dtype the digest has no code for: the loader must refuse it before hashing
        pass
    safetensors.torch.save_file(data, str(dst), metadata=meta)
    return dst


def test_fixture_still_loads():
    assert load(FIXTURE).G.z_dim == 128


@pytest.mark.parametrize("z_dim", [4_000_000, 10**9])
def test_huge_z_dim_in_a_signed_checkpoint_is_refused_before_building(tmp_path, z_dim):
    path = forge(tmp_path / "network-snapshot-000000.safetensors", config=lambda c: c["model"].update(z_dim=z_dim))
    why = rf"the model config asks for a tensor of size \[128, {z_dim}\], which takes the network over .* MiB"
    with pytest.raises(ValueError, match=rf"{path.name}: {why}"):
        load_checkpoint(path)
    result = cli_attack(["generate", "--network", str(path), "--seeds", "0", "--outdir", str(tmp_path / "out")])
    assert result["rc"] == 2 and path.name in one_line(result["stderr"])
    print(f"z_dim={z_dim}: peak RSS {result['peak_mb']:.0f} MB")
    assert result["peak_mb"] < PEAK_RSS_LIMIT_MB


def test_wrong_shapes_and_missing_keys_are_one_value_error(tmp_path):
    def small_mapping(c):
        c["model"].update(z_dim=64)
    path = forge(tmp_path / "a.safetensors", config=small_mapping)
    with pytest.raises(ValueError, match=r"a\.safetensors: the G tensors do not fit .*wrong shape .*mapping\.fc0"):
        load_checkpoint(path)
    path = forge(tmp_path / "b.safetensors", tensors=lambda t: t.pop("G_ema.mapping.fc0.weight"))
    with pytest.raises(ValueError, match=r"b\.safetensors: the G_ema tensors .* missing \['mapping\.fc0\.weight'\]"):
        load_checkpoint(path)
    path = forge(tmp_path / "c.safetensors", config=lambda c: c["model"].update(z_dim="big"))
    with pytest.raises(ValueError, match=r"c\.safetensors: the checkpoint's model config is invalid"):
        load_checkpoint(path)


@pytest.mark.skipif(not hasattr(torch, "float8_e4m3fn"), reason="torch without float8")
def test_float8_tensor_is_refused(tmp_path):
    def float8(t):
        t["state.extra"] = torch.zeros(4, dtype=torch.float8_e4m3fn)
    path = forge(tmp_path / "f8.safetensors", tensors=float8)
    with pytest.raises(ValueError, match=r"f8\.safetensors: tensor 'state\.extra' has dtype torch\.float8_e4m3fn"):
        load_checkpoint(path)


def test_deeply_nested_metadata_is_refused(tmp_path):
    def nest(meta):
        meta["state"] = "[" * 100_000 + "]" * 100_000
    path = forge(tmp_path / "deep.safetensors", metadata=nest)
    with pytest.raises(ValueError, match=r"deep\.safetensors: .*nested too deeply"):
        load_checkpoint(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_checkpoint_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "network-snapshot-000000.safetensors"
    os.mkfifo(fifo)
    errors = []

    def attempt():
        for call in (lambda: load_checkpoint(fifo), lambda: load(fifo)):
            try:
                call()
            except ValueError as exc:
                errors.append(str(exc))

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(20)
    if thread.is_alive():  # unblock the reader so the test run can end
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert len(errors) == 2 and all("not a regular file" in e for e in errors)


def test_resume_from_a_signed_checkpoint_without_its_training_state_is_one_line(tmp_path, capsys):
    """A sha-valid checkpoint whose state tree lacks ``cur_nimg`` is refused naming the file, not a KeyError."""
    from ganforge.cli.main import main

    def drop_cur_nimg(meta):
        state = json.loads(meta["state"])
        state["train"].pop("cur_nimg")
        meta["state"] = json.dumps(state)

    (tmp_path / "run").mkdir()
    bad = forge(tmp_path / "run" / "network-snapshot-000001.safetensors", metadata=drop_cur_nimg)
    data = Path(__file__).resolve().parents[2] / "datasets" / "emoji-32.zip"
    assert main(["train", "--resume", str(bad), "--data", str(data), "--kimg", "1", "--no-progress",
                 "--no-tensorboard"]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "training state does not fit" in err and err.count("\n") == 1


def test_model_options_too_big_are_refused_before_allocating(tmp_path, capsys):
    from ganforge.cli.main import main
    from tests.train.test_loop import make_folder_dataset

    data = make_folder_dataset(tmp_path / "data", n=4)
    assert main(["train", "--data", str(data), "--outdir", str(tmp_path / "runs"), "--cfg", "cpu", "--cbase",
                 "4000000000", "--cmax", "100000000", "--kimg", "0.01", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "--cbase" in err and "over 4.0 GiB" in err.replace("4 GiB", "4.0 GiB") and err.count("\n") == 1
