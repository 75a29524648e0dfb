import hashlib

import pytest

from ganforge.backbones.weights import KNOWN_WEIGHTS, resolve_weights, sha256_file


def test_missing_file_gives_one_helpful_error(monkeypatch):
    monkeypatch.delenv("GANFORGE_INCEPTION", raising=False)
    with pytest.raises(ValueError) as err:
        resolve_weights("inception")
    msg = str(err.value)
    for needle in ("pt_inception-2015-12-05-6726825d.pth", "GANFORGE_INCEPTION", "https://", "swd", "rfid"):
        assert needle in msg
    # the flag named is one that exists (issue 16), and psnr (not a --metrics name) is not offered
    assert "--inception PATH" in msg and "--inception-weights" not in msg and "psnr" not in msg


def test_nonexistent_path_and_unknown_name(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        resolve_weights("vgg16", tmp_path / "nope.pth")
    with pytest.raises(ValueError, match="unknown weights"):
        resolve_weights("alexnet")


def test_env_var_and_explicit_path(tmp_path, monkeypatch):
    f = tmp_path / "w.pth"
    f.write_bytes(b"abc")
    monkeypatch.setenv("GANFORGE_LPIPS", str(f))
    assert resolve_weights("lpips") == f
    g = tmp_path / "other.pth"
    g.write_bytes(b"x")
    assert resolve_weights("lpips", g) == g  # explicit path wins


def test_sha256_check(tmp_path):
    f = tmp_path / "w.pth"
    f.write_bytes(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert sha256_file(f) == digest
    assert resolve_weights("vgg16", f, sha256=digest) == f
    assert resolve_weights("vgg16", f, sha256=digest[:8].upper()) == f
    with pytest.raises(ValueError, match="mismatch"):
        resolve_weights("vgg16", f, sha256="0" * 64)


def test_known_filename_prefix_is_checked(tmp_path):
    name = KNOWN_WEIGHTS["inception"].filenames[0]
    f = tmp_path / name
    f.write_bytes(b"not the real network")
    with pytest.raises(ValueError, match="mismatch"):
        resolve_weights("inception", f)
