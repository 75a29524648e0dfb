import importlib.util
import json
from pathlib import Path

import pytest

from .conftest import write_image

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_emoji_dataset.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("build_emoji_dataset", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_package(root: Path, version: str, names: list[str], google: list[str]) -> Path:
    (root / "img/google/64").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps({"name": "emoji-datasource-google", "version": version}))
    for i, name in enumerate(names):
        write_image(root / "img/google/64" / name, (64, 64), mode="RGBA", seed=i)
    entries = [{"image": n, "category": "Flags", "has_img_google": n in google} for n in names]
    (root / "emoji.json").write_text(json.dumps(entries))
    return root


def test_script_checks_version_count_and_image_set(script, tmp_path, monkeypatch):
    with pytest.raises(SystemExit, match="is emoji-datasource-google@15.0.1, expected emoji-datasource-google@16.0.0"):
        script.check_package(fake_package(tmp_path / "old", "15.0.1", ["a.png"], ["a.png"]))
    with pytest.raises(SystemExit, match="2 PNG images, expected 3786"):
        script.check_package(fake_package(tmp_path / "few", "16.0.0", ["a.png", "b.png"], ["a.png", "b.png"]))
    monkeypatch.setattr(script, "EXPECTED_COUNT", 2)
    with pytest.raises(SystemExit, match="1 images are not Google images per emoji.json .e.g. b.png"):
        script.check_package(fake_package(tmp_path / "mixed", "16.0.0", ["a.png", "b.png"], ["a.png"]))
    package = fake_package(tmp_path / "ok", "16.0.0", ["a.png", "b.png"], ["a.png", "b.png"])
    labels = script.check_package(package)
    assert labels == {"a.png": "Flags", "b.png": "Flags"}
    dest = script.build(package, tmp_path / "e.zip", 32, labels, force=False)
    from ganforge.data import ImageDataset
    ds = ImageDataset(dest, use_labels=True)
    assert len(ds) == 2 and ds.image_shape == [3, 32, 32] and ds.class_names == ("Flags",)
