import json

from ganforge.cli.main import main

from .conftest import write_image


def test_cli_builds_a_dataset(image_folder, tmp_path, capsys):
    (image_folder / "bad.png").write_bytes(b"")
    dest = tmp_path / "out.zip"
    assert main(["dataset", "--source", str(image_folder), "--dest", str(dest), "--resolution", "16x8",
                 "--resize-filter", "box", "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert f"wrote 6 images (16x8, 3 channels, no labels) to {dest}" in captured.out
    assert "skipped 1 bad image" in captured.err and (tmp_path / "out-report.txt").is_file()


def test_cli_several_sources_and_labels(tmp_path, capsys):
    for cls in ("a", "b"):
        write_image(tmp_path / "s1" / cls / "x.png", seed=ord(cls))
        write_image(tmp_path / "s2" / cls / "y.png", seed=ord(cls) + 1)
    assert main(["dataset", "--source", str(tmp_path / "s1"), str(tmp_path / "s2"), "--dest", str(tmp_path / "o"),
                 "--labels", "folders", "--no-progress"]) == 0
    meta = json.loads((tmp_path / "o" / "dataset.json").read_text())
    assert len(meta["labels"]) == 4 and meta["class_names"] == ["a", "b"]
    assert "2 classes" in capsys.readouterr().out


def test_cli_bad_input_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["dataset", "--source", str(tmp_path / "empty"), "--dest", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "no images found" in err and "Traceback" not in err
    assert main(["dataset", "--source", str(tmp_path), "--dest", str(tmp_path / "o"), "--resolution", "64y"]) == 2
    assert "resolution '64y'" in capsys.readouterr().err
    write_image(tmp_path / "ok" / "a.png")
    assert main(["dataset", "--source", str(tmp_path / "ok"), "--dest", str(tmp_path / "ok"), "--no-progress"]) == 2
    assert "is the --source" in capsys.readouterr().err  # refused before "already exists"
