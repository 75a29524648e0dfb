"""Issue 16: every expected failure is one line ``ganforge <cmd>: error: ...`` naming the flag or file, exit code 2,
no traceback; unexpected bugs keep their traceback, and ``GANFORGE_DEBUG=1`` shows it for expected ones too."""

import os
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.cli import main as cli_main
from ganforge.cli.main import main
from tests.train.test_checkpoint_hardening import FIXTURE, forge


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors")
    (root / "imgs").mkdir()
    for i in range(4):
        Image.fromarray(np.full([8, 8, 3], 50 * i, dtype=np.uint8)).save(root / "imgs" / f"{i}.png")
    assert main(["dataset", "--source", str(root / "imgs"), "--dest", str(root / "ds.zip"), "--no-progress"]) == 0
    (root / "garbage.pth").write_bytes(os.urandom(1000))
    (root / "a-file").write_text("x")
    if hasattr(torch, "float8_e4m3fn"):
        forge(root / "f8.safetensors", tensors=lambda t: t.update({"state.x": torch.zeros(2, dtype=torch.float8_e4m3fn)}))
    forge(root / "deep.safetensors", metadata=lambda m: m.update(state="[" * 100_000 + "]" * 100_000))
    forge(root / "shape.safetensors", tensors=lambda t: t.update({"G.mapping.fc0.weight": torch.zeros(3, 3)}))
    if hasattr(os, "mkfifo"):
        os.mkfifo(root / "network-snapshot-000000.safetensors")
    return root


TRAIN = ["train", "--data", "{root}/ds.zip", "--outdir", "{root}/runs", "--cfg", "cpu", "--dry-run"]
GEN = ["generate", "--network", str(FIXTURE), "--outdir", "{root}/out"]
CASES = {  # name: (argv, text the one line must contain)
    "seeds-too-many": (GEN + ["--seeds", "0-99999999999"], "--seeds"),
    "grid-huge": (TRAIN + ["--grid", "100000"], "--grid"),
    "grid-zero": (TRAIN + ["--grid", "0"], "--grid"),
    "threads-negative": (TRAIN + ["--threads", "-3"], "--threads"),
    "kimg-inf": (TRAIN + ["--kimg", "inf"], "--kimg"),
    "kimg-nan": (TRAIN + ["--kimg", "nan"], "--kimg"),
    "cbase-float": (TRAIN + ["--cbase", "1e9"], "--cbase"),
    "keep-negative": (TRAIN + ["--keep", "-2"], "--keep"),
    "trunc-nan": (GEN + ["--seeds", "0", "--trunc", "nan"], "--trunc"),
    "device-cuda": (GEN + ["--seeds", "0", "--device", "cuda"], "--device cuda"),
    "device-bogus": (GEN + ["--seeds", "0", "--device", "tpu9"], "--device tpu9"),
    "float8-checkpoint": (["generate", "--network", "{root}/f8.safetensors", "--outdir", "{root}/o"], "f8.safetensors"),
    "nested-json": (["generate", "--network", "{root}/deep.safetensors", "--outdir", "{root}/o"], "deep.safetensors"),
    "wrong-shape": (["generate", "--network", "{root}/shape.safetensors", "--outdir", "{root}/o"], "shape.safetensors"),
    "fifo": (["generate", "--network", "{root}/network-snapshot-000000.safetensors", "--outdir", "{root}/o"],
             "not a regular file"),
    "inception-unreadable": (["metrics", "--network", str(FIXTURE), "--data", "{root}/ds.zip", "--metrics", "fid100",
                              "--inception", "{root}/garbage.pth", "--no-progress"], "garbage.pth"),
    "outdir-not-a-folder": (GEN + ["--seeds", "0"], "a-file"),
    "dataset-dest-under-a-file": (["dataset", "--source", "{root}/imgs", "--dest", "{root}/a-file/x.zip",
                                   "--no-progress"], "a-file"),
    "unknown-flag": (GEN + ["--nope"], "--nope"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_expected_failures_are_one_line_and_exit_2(files, capsys, monkeypatch, name):
    argv, needle = CASES[name]
    if name == "device-cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    if name == "fifo" and not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    if name == "float8-checkpoint" and not hasattr(torch, "float8_e4m3fn"):
        pytest.skip("torch without float8")
    argv = [a.replace("{root}", str(files)) for a in argv]
    if name == "outdir-not-a-folder":
        argv[argv.index("--outdir") + 1] = str(files / "a-file" / "sub")
    monkeypatch.delenv("GANFORGE_DEBUG", raising=False)
    try:
        rc = main(argv)
    except SystemExit as exc:  # argparse errors
        rc = exc.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert rc == 2, err
    assert "Traceback" not in err and len(lines) == 1, err
    # argparse reports unknown flags from the top-level parser ("ganforge: error: ...")
    assert lines[0].startswith((f"ganforge {argv[0]}: error: ", "ganforge: error: ")) and needle in lines[0], lines[0]


def test_debug_shows_the_traceback_of_expected_failures(files, monkeypatch):
    monkeypatch.setenv("GANFORGE_DEBUG", "1")
    with pytest.raises(ValueError, match="--seeds"):
        main(["generate", "--network", str(FIXTURE), "--seeds", "0-99999999999"])


def test_unexpected_bugs_keep_their_traceback(monkeypatch):
    def buggy(args):
        raise KeyError("a bug")
    monkeypatch.setattr(sys.modules["ganforge.cli.preview"], "run", buggy)
    monkeypatch.delenv("GANFORGE_DEBUG", raising=False)
    with pytest.raises(KeyError):
        main(["preview"])


def test_disk_full_names_the_file_and_what_to_do():
    import errno

    msg = cli_main.describe_error(OSError(errno.ENOSPC, "No space left on device", "/data/ds.zip"))
    assert msg == "/data/ds.zip: No space left on device; free some space and run it again"


def test_ctrl_c_is_one_line_with_exit_130(monkeypatch, capsys):
    """An interrupted command says so in one line (no traceback) and exits 130, as shells expect after SIGINT."""
    import ganforge.cli.main as cli

    def interrupted(args):
        raise KeyboardInterrupt

    original = cli._module
    monkeypatch.delenv("GANFORGE_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_module", lambda name: type("M", (), {"run": staticmethod(interrupted),
                                                                    "add_parser": original(name).add_parser}))
    assert cli.main(["train", "--data", "x"]) == 130
    err = capsys.readouterr().err
    assert err == "ganforge train: interrupted; the last checkpoint is intact: continue with --resume\n"
