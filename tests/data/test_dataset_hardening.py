"""Issue 16: the dataset tool never deletes a source or a user's file, leaves no temporaries behind, and bounds
the memory a zip member or label ids can make it allocate."""

import errno
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

from ganforge.cli.main import main
from ganforge.data import archive
from ganforge.data.archive import remove_stale_temporaries
from tests.memory_bomb import PEAK_RSS_LIMIT_MB, cli_attack, one_line, run_attack


def write_images(folder, n=3, size=8):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.fromarray(np.full([size, size, 3], 40 * i, dtype=np.uint8)).save(folder / f"{i}.png")
    return folder


def run_cli(argv, capsys):
    rc = main(argv)
    return rc, capsys.readouterr()


@pytest.mark.parametrize("layout", ["same", "dest-contains-source", "same-zip"])
def test_force_refuses_a_dest_that_is_or_contains_the_source(tmp_path, capsys, layout):
    src = write_images(tmp_path / "photos" / "in")
    (tmp_path / "photos" / "notes.txt").write_text("mine")
    if layout == "same-zip":
        main(["dataset", "--source", str(src), "--dest", str(tmp_path / "d.zip"), "--no-progress"])
        capsys.readouterr()
        src = dest = tmp_path / "d.zip"
    else:
        dest = src if layout == "same" else tmp_path / "photos"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    rc, out = run_cli(["dataset", "--source", str(src), "--dest", str(dest), "--force", "--no-progress"], capsys)
    assert rc == 2 and "--source" in one_line(out.err) and "--dest" in one_line(out.err)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing deleted
    assert (tmp_path / "photos" / "notes.txt").read_text() == "mine"


def test_a_users_report_file_survives_and_the_tools_own_is_replaced(tmp_path, capsys):
    src = write_images(tmp_path / "in")
    (src / "bad.png").write_bytes(b"not a png")
    dest = tmp_path / "ds.zip"
    mine = tmp_path / "ds-report.txt"
    mine.write_text("my own notes")
    assert main(["dataset", "--source", str(src), "--dest", str(dest), "--no-progress"]) == 0
    assert mine.read_text() == "my own notes"
    report = tmp_path / "ds-report-1.txt"
    assert "bad.png" in report.read_text() and str(report) in capsys.readouterr().err
    # a second run replaces its own report, and a clean run deletes it, never the user's file
    assert main(["dataset", "--source", str(src), "--dest", str(dest), "--force", "--no-progress"]) == 0
    assert not (tmp_path / "ds-report-2.txt").exists() and report.exists()
    (src / "bad.png").unlink()
    assert main(["dataset", "--source", str(src), "--dest", str(dest), "--force", "--no-progress"]) == 0
    assert not report.exists() and mine.read_text() == "my own notes"


def test_full_disk_leaves_no_temporary_and_is_one_line(tmp_path, capsys, monkeypatch):
    src = write_images(tmp_path / "in", n=4)
    real_writestr, real_close = zipfile.ZipFile.writestr, zipfile.ZipFile.close
    calls = {"n": 0}

    def writestr(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "ds.zip"))
        return real_writestr(self, *args, **kwargs)

    def close(self):  # writing the central directory fails too on a full disk
        if calls["n"] >= 3 and self.mode == "w" and self.fp is not None:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_close(self)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr)
    monkeypatch.setattr(zipfile.ZipFile, "close", close)
    rc, out = run_cli(["dataset", "--source", str(src), "--dest", str(tmp_path / "ds.zip"), "--no-progress",
                       "--workers", "1"], capsys)
    assert rc == 2 and "No space left on device" in one_line(out.err) and "free some space" in out.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # no .ds.zip.tmp-* left


def test_temporaries_of_killed_runs_are_removed_next_time(tmp_path):
    dest = tmp_path / "ds.zip"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".ds.zip.tmp-{int(dead.stdout)}-abc123"
    live = tmp_path / f".ds.zip.tmp-{os.getpid()}-def456"
    other = tmp_path / f".other.zip.tmp-{int(dead.stdout)}-abc123"
    user = tmp_path / ".ds.zip.tmp-notes"
    for path in (stale, live, other, user):
        path.write_bytes(b"x")
    assert remove_stale_temporaries(dest) == [stale]
    assert live.exists() and other.exists() and user.exists()
    old = tmp_path / ".ds.zip.tmp-xyz789"  # an older version's name (no PID): removed once a day old
    old.write_bytes(b"x")
    os.utime(old, (1, 1))
    assert remove_stale_temporaries(dest) == [old]
    assert archive._TEMP_RE.match(".ds.zip.tmp-123-ab_c9") is not None


def test_huge_zip_member_is_refused_before_reading(tmp_path):
    src = tmp_path / "bomb.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("big.png", "w", force_zip64=True) as member:  # 300 MiB of zeros, ~300 KB compressed
            chunk = bytes(16 * 1024**2)
            for _ in range(300 // 16 + 1):
                member.write(chunk)
        buf = tmp_path / "ok.png"
        Image.fromarray(np.zeros([8, 8, 3], dtype=np.uint8)).save(buf)
        zf.write(buf, "ok.png")
    assert src.stat().st_size < 2 * 1024**2
    dest = tmp_path / "out.zip"
    result = cli_attack(["dataset", "--source", str(src), "--dest", str(dest), "--no-progress", "--workers", "1"])
    print(f"zip member 304 MiB: peak RSS {result['peak_mb']:.0f} MB")
    assert result["rc"] == 0 and "skipped 1 bad image" in result["stderr"]
    assert "over the 256 MiB limit" in (tmp_path / "out-report.txt").read_text()
    assert result["peak_mb"] < PEAK_RSS_LIMIT_MB


def test_label_ids_of_1e9_are_refused_before_allocating(tmp_path):
    src = write_images(tmp_path / "in", n=4)
    ds = tmp_path / "ds"
    assert main(["dataset", "--source", str(src), "--dest", str(ds), "--no-progress"]) == 0
    meta = {"labels": [[f"00000/img{i:08d}.png", 10**9 if i == 0 else i] for i in range(4)]}
    (ds / "dataset.json").write_text(json.dumps(meta))
    code = f"from ganforge.data.dataset import ImageDataset; ImageDataset({str(ds)!r}, use_labels=True)"
    result = run_attack(code)
    print(f"label id 1e9: peak RSS {result['peak_mb']:.0f} MB")
    assert result["rc"] != 0 and "label id 1000000000 means 1000000001 classes, over the limit" in result["stderr"]
    assert result["peak_mb"] < PEAK_RSS_LIMIT_MB
    labels = tmp_path / "labels.json"  # the dataset tool's --labels file
    labels.write_text(json.dumps({"0.png": 10**9}))
    result = cli_attack(["dataset", "--source", str(src), "--dest", str(tmp_path / "x.zip"), "--labels", str(labels)])
    assert result["rc"] == 2 and "over the limit of 100000 classes" in one_line(result["stderr"])


def test_deeply_nested_json_is_one_clear_error(tmp_path, capsys):
    src = write_images(tmp_path / "in")
    labels = tmp_path / "labels.json"
    labels.write_text("[" * 100_000 + "]" * 100_000)
    rc, out = run_cli(["dataset", "--source", str(src), "--dest", str(tmp_path / "x.zip"), "--labels", str(labels)],
                      capsys)
    assert rc == 2 and "labels.json" in one_line(out.err) and "nested too deeply" in out.err
