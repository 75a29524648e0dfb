import copy
import functools
import json
import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from safetensors import safe_open

from ganforge.models import build_discriminator, build_generator, model_config
from ganforge.train.checkpoint import (
    Checkpoint,
    capture_rng_state,
    checkpoint_digest,
    checkpoint_filename,
    find_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    resolve_resume,
    restore_rng_state,
    save_checkpoint,
)

from .test_tree import assert_same

TINY = dict(img_resolution=16, z_dim=16, w_dim=16, mapping_layers=2, channel_base=128, channel_max=16)


@functools.lru_cache(maxsize=None)
def make_nets(c_dim=0):
    """Tiny G, D, G_ema and Adam optimizers after one step (built once per module: the tests only read them)."""
    cfg = model_config("stylegan2", c_dim=c_dim, **TINY)
    torch.manual_seed(0)
    G, D = build_generator(cfg), build_discriminator(cfg)
    G_ema = copy.deepcopy(G)
    with torch.no_grad():
        for p in G_ema.parameters():
            p.add_(0.01 * torch.randn_like(p))
    opt_G = torch.optim.Adam(G.parameters(), lr=0.002, betas=(0.0, 0.99))
    opt_D = torch.optim.Adam(D.parameters(), lr=0.002, betas=(0.0, 0.99))
    z = torch.randn(2, cfg.z_dim)
    c = torch.eye(c_dim)[:2] if c_dim else None
    (D(G(z, c), c).sum() + G(z, c).square().mean()).backward()
    opt_G.step()
    opt_D.step()
    return cfg, {"G": G, "D": D, "G_ema": G_ema}, {"G": opt_G, "D": opt_D}


def write_ckpt(path, cur_nimg=4000, seed=0):
    cfg, modules, opts = make_nets()
    state = {"cur_nimg": cur_nimg, "pl_mean": torch.tensor(0.25 + seed), "rng": capture_rng_state(),
             "augment_p": 0.125, "sampler": {"epoch": 3, "order": np.arange(10, dtype=np.int64)}}
    config = {"model": cfg.to_dict(), "batch_size": 4, "lr": 0.002}
    return save_checkpoint(path, modules=modules, optimizers=opts, config=config, state=state), modules, opts, state


# ------------------------------------------------------------------------------------------------- RNG


def draws():
    return random.random(), random.gauss(0, 1), np.random.randn(3).tolist(), torch.randn(3).tolist(), torch.randint(0, 99, (2,)).tolist()


def test_restored_rng_repeats_the_same_draws(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    random.gauss(0, 1)  # leaves a cached gaussian in the Python state
    state = capture_rng_state()
    first = draws()
    save_checkpoint(tmp_path / "c.safetensors", modules={}, optimizers={}, config={}, state={"rng": state})
    restore_rng_state(state)
    assert draws() == first
    draws()  # move on, then restore through a file
    restore_rng_state(load_checkpoint(tmp_path / "c.safetensors").state["rng"])
    assert draws() == first


def test_restore_rng_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown"):
        restore_rng_state({"pyhton": None})


# ------------------------------------------------------------------------------------------- save / load


def test_save_load_gives_identical_tensors_state_and_outputs(tmp_path):
    path, modules, opts, state = write_ckpt(tmp_path / checkpoint_filename(4321))
    assert path.name == "network-snapshot-000004.safetensors"
    ckpt = load_checkpoint(path)
    assert isinstance(ckpt, Checkpoint) and ckpt.path == path
    for name, module in modules.items():
        sd = module.state_dict()
        assert set(ckpt.modules[name]) == set(sd)
        for key, t in sd.items():
            assert ckpt.modules[name][key].dtype == t.dtype and torch.equal(ckpt.modules[name][key], t), key
    for name, opt in opts.items():
        assert_same(ckpt.optimizers[name], opt.state_dict())
    assert_same(ckpt.state, state)
    assert ckpt.config["lr"] == 0.002 and ckpt.model_config() == model_config("stylegan2", **TINY)
    G2 = build_generator(ckpt.model_config()).eval()
    G2.load_state_dict(ckpt.modules["G_ema"])
    z = torch.randn(3, 16)
    with torch.no_grad():
        assert torch.equal(G2(z, noise_mode="const"), modules["G_ema"].eval()(z, noise_mode="const"))


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    path, modules, _, _ = write_ckpt(tmp_path / "network-snapshot-000004.safetensors")
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
        names = set(f.keys())
    assert meta["ganforge_format"] == "checkpoint" and meta["format_version"] == "1"
    assert json.loads(meta["config"])["model"]["name"] == "stylegan2"
    assert json.loads(meta["modules"]) == ["G", "D", "G_ema"]
    assert "G_ema.mapping.w_avg" in names and "state.pl_mean" in names and "optim.G.state.0.exp_avg" in names
    assert checkpoint_digest(meta, safetensors.torch.load_file(str(path))) == meta["sha256"]


def test_shared_and_cuda_free_tensors_are_saved(tmp_path):
    base = torch.arange(10.0)
    state = {"a": base, "b": base, "view": base[2:5]}
    save_checkpoint(tmp_path / "c.safetensors", modules={}, optimizers={}, config={}, state=state)
    back = load_checkpoint(tmp_path / "c.safetensors").state
    assert torch.equal(back["b"], base) and torch.equal(back["view"], base[2:5])


def test_bad_module_name_and_non_json_config_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="identifier"):
        save_checkpoint(tmp_path / "c.safetensors", modules={"state": torch.nn.Linear(1, 1)}, optimizers={}, config={}, state={})
    with pytest.raises(ValueError, match="config"):
        save_checkpoint(tmp_path / "c.safetensors", modules={}, optimizers={}, config={"x": object()}, state={})
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------- atomicity


@pytest.mark.parametrize("fail", ["replace", "fsync"])
def test_crash_during_save_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch, fail):
    path = tmp_path / "network-snapshot-000004.safetensors"
    write_ckpt(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, fail, boom)
    with pytest.raises(OSError, match="simulated crash"):
        write_ckpt(path, seed=1)  # same name: must not clobber
    with pytest.raises(OSError, match="simulated crash"):
        write_ckpt(tmp_path / "network-snapshot-000008.safetensors", seed=1)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    load_checkpoint(path)


# ---------------------------------------------------------------------------------------- damaged files


@pytest.fixture
def two_ckpts(tmp_path):
    old = write_ckpt(tmp_path / "network-snapshot-000004.safetensors")[0]
    new = write_ckpt(tmp_path / "network-snapshot-000008.safetensors", cur_nimg=8000, seed=1)[0]
    return old, new


@pytest.mark.parametrize("keep", [0.5, 0.999, 20, 4])
def test_truncated_file_names_file_and_intact_previous(two_ckpts, keep):
    old, new = two_ckpts
    data = new.read_bytes()
    new.write_bytes(data[:int(keep * len(data)) if keep < 1 else keep])
    with pytest.raises(ValueError) as exc:
        load_checkpoint(new)
    msg = str(exc.value)
    assert str(new) in msg
    if keep == 4:
        assert "not a safetensors file" in msg
    else:
        assert "truncated" in msg and f"previous checkpoint {old} is intact" in msg


def test_flipped_data_byte_is_a_sha256_mismatch(two_ckpts):
    old, new = two_ckpts
    data = bytearray(new.read_bytes())
    data[-100] ^= 0x01
    new.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"is corrupt \(sha256 mismatch\); the previous checkpoint .*000004.* is intact"):
        load_checkpoint(new)
    load_checkpoint(new, verify=False)  # opt-out still reads it


def test_edited_metadata_is_a_sha256_mismatch(two_ckpts):
    _, new = two_ckpts
    data = new.read_bytes()
    needle = b'\\"batch_size\\":4'
    assert data.count(needle) == 1
    new.write_bytes(data.replace(needle, b'\\"batch_size\\":8'))
    with pytest.raises(ValueError, match="sha256 mismatch"):
        load_checkpoint(new)


def test_no_intact_previous_is_said(tmp_path):
    path = write_ckpt(tmp_path / "network-snapshot-000004.safetensors")[0]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="no earlier intact checkpoint"):
        load_checkpoint(path)


def test_non_safetensors_and_foreign_safetensors_are_rejected(tmp_path):
    png = tmp_path / "image.safetensors"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    text = tmp_path / "notes.safetensors"
    text.write_text("hello world, this is not a checkpoint")
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    for p in (png, text, empty):
        with pytest.raises(ValueError, match=f"{p.name} is not a safetensors file"):
            load_checkpoint(p)
    foreign = tmp_path / "weights.safetensors"
    safetensors.torch.save_file({"w": torch.ones(2)}, str(foreign), metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"weights.safetensors is a safetensors file but not a ganforge checkpoint"):
        load_checkpoint(foreign)
    future = tmp_path / "future.safetensors"
    safetensors.torch.save_file({"w": torch.ones(2)}, str(future), metadata={"ganforge_format": "checkpoint", "format_version": "2"})
    with pytest.raises(ValueError, match="future.safetensors has checkpoint format_version '2'"):
        load_checkpoint(future)
    with pytest.raises(ValueError, match="missing.safetensors: no such checkpoint file"):
        load_checkpoint(tmp_path / "missing.safetensors")


# -------------------------------------------------------------------------------- finding, pruning, resume


def touch_ckpts(folder, kimgs):
    folder.mkdir(parents=True, exist_ok=True)
    for k in kimgs:
        (folder / f"network-snapshot-{k:06d}.safetensors").write_bytes(b"x")


def test_find_checkpoints_sorts_by_kimg_and_ignores_other_files(tmp_path):
    touch_ckpts(tmp_path, [100, 2, 10])
    (tmp_path / "network-snapshot-000005.pkl").write_bytes(b"x")
    (tmp_path / ".network-snapshot-000012.safetensors.abc.tmp").write_bytes(b"x")
    assert [p.name[17:23] for p in find_checkpoints(tmp_path)] == ["000002", "000010", "000100"]
    assert find_checkpoints(tmp_path / "nope") == []


def test_prune_keeps_the_newest(tmp_path):
    touch_ckpts(tmp_path, [0, 4, 8, 12, 16])
    stale = tmp_path / ".network-snapshot-000020.safetensors.x1y2.tmp"
    stale.write_bytes(b"x")
    deleted = prune_checkpoints(tmp_path, keep=2)
    assert [p.name[17:23] for p in find_checkpoints(tmp_path)] == ["000012", "000016"]
    assert len(deleted) == 4 and stale in deleted and not stale.exists()
    assert prune_checkpoints(tmp_path, keep=5) == []
    assert len(prune_checkpoints(tmp_path, keep=0)) == 2 and find_checkpoints(tmp_path) == []
    with pytest.raises(ValueError, match="keep"):
        prune_checkpoints(tmp_path, keep=-1)


def test_resolve_resume(tmp_path, monkeypatch):
    outdir = tmp_path / "runs"
    a = write_ckpt(outdir / "00000-emoji" / "network-snapshot-000004.safetensors")[0]
    write_ckpt(outdir / "00000-emoji" / "network-snapshot-000008.safetensors", cur_nimg=8000)
    b = write_ckpt(outdir / "00001-emoji" / "network-snapshot-000002.safetensors", cur_nimg=2000)[0]
    (outdir / "00002-emoji").mkdir()  # newest run, crashed before its first snapshot
    (outdir / "notes").mkdir()
    assert resolve_resume("latest", outdir) == b
    assert resolve_resume(str(outdir / "00000-emoji"), outdir).name == "network-snapshot-000008.safetensors"
    assert resolve_resume(str(a), outdir) == a
    monkeypatch.chdir(tmp_path)
    assert resolve_resume("00001-emoji", outdir) == b  # relative to outdir
    with pytest.raises(ValueError, match="no network-snapshot"):
        resolve_resume(str(outdir / "00002-emoji"), outdir)
    with pytest.raises(ValueError, match="no such file or folder"):
        resolve_resume("nowhere", outdir)
    with pytest.raises(ValueError, match="no checkpoint found"):
        resolve_resume("latest", tmp_path / "empty")


def test_resolve_resume_latest_corrupt_names_previous_valid(tmp_path):
    outdir = tmp_path / "runs"
    old = write_ckpt(outdir / "00000-x" / "network-snapshot-000004.safetensors")[0]
    new = write_ckpt(outdir / "00000-x" / "network-snapshot-000008.safetensors", cur_nimg=8000)[0]
    new.write_bytes(new.read_bytes()[:-10])
    with pytest.raises(ValueError) as exc:
        resolve_resume("latest", outdir)
    msg = str(exc.value)
    assert str(new) in msg and "truncated" in msg and f"previous checkpoint {old} is intact" in msg


def test_hashing_100mb_is_fast():
    tensors = {"w": torch.ones(25_000_000)}  # 100 MB
    t0 = time.perf_counter()
    checkpoint_digest({"config": "{}"}, tensors)
    assert time.perf_counter() - t0 < 3.0  # ~0.1 s; generous for a loaded 2-core CI box


def test_documented_plain_reader_recomputes_the_checksum(tmp_path):
    """The 'without ganforge' snippet of docs/checkpoints.md runs and verifies a real checkpoint."""
    doc = (Path(__file__).parents[2] / "docs" / "checkpoints.md").read_text()
    snippet = doc.split("## Reading a checkpoint without ganforge")[1].split("```python")[1].split("```")[0]
    path = write_ckpt(tmp_path / "network-snapshot-000004.safetensors")[0]
    snippet = snippet.replace('"runs/00003-emoji-32-stylegan2/network-snapshot-000400.safetensors"', repr(str(path)))
    scope = {}
    exec(compile(snippet, "docs/checkpoints.md", "exec"), scope)
    assert scope["config"]["model"]["name"] == "stylegan2" and "mapping.w_avg" in scope["G_ema"]
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(AssertionError, match="corrupt"):
        exec(compile(snippet, "docs/checkpoints.md", "exec"), {})


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_modules_and_rng_roundtrip(tmp_path):
    model = torch.nn.Linear(3, 2).cuda()
    torch.cuda.manual_seed_all(7)
    state = capture_rng_state()
    first = torch.randn(4, device="cuda").cpu()
    path = save_checkpoint(tmp_path / "c.safetensors", modules={"G": model}, optimizers={}, config={}, state={"rng": state})
    torch.randn(4, device="cuda")
    ckpt = load_checkpoint(path)
    assert torch.equal(ckpt.modules["G"]["weight"], model.weight.detach().cpu())
    restore_rng_state(ckpt.state["rng"])
    assert torch.equal(torch.randn(4, device="cuda").cpu(), first)
