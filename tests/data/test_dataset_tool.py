import json
import zipfile

import numpy as np
import pytest
from PIL import Image

from ganforge.data import DatasetToolConfig, ImageDataset, convert_dataset
from ganforge.data.dataset_tool import image_name

from .conftest import write_image


def build(sources, dest, **kw):
    sources = tuple(str(s) for s in (sources if isinstance(sources, (list, tuple)) else [sources]))
    return convert_dataset(DatasetToolConfig(sources=sources, dest=str(dest), **kw), progress=False, num_workers=2)


def add_bad_files(root):
    root.mkdir(parents=True, exist_ok=True)
    (root / "corrupt.png").write_bytes(np.random.RandomState(1).bytes(300))
    (root / "empty.png").write_bytes(b"")
    (root / "text.png").write_text("this is not an image\n")
    (root / "notes.txt").write_text("ignored: not an image extension\n")


def test_image_names_follow_the_official_layout():
    assert image_name(0) == "00000/img00000000.png"
    assert image_name(999) == "00000/img00000999.png"
    assert image_name(1000) == "00001/img00001000.png"


def test_folder_to_folder_resizes_and_writes_layout(image_folder, tmp_path):
    report = build(image_folder, tmp_path / "out", resolution=(8, 8))
    assert report.num_written == 6 and report.resolution == (8, 8) and report.channels == 3
    assert report.skipped == () and report.report_path is None and not report.has_labels
    out = tmp_path / "out"
    assert json.loads((out / "dataset.json").read_text()) == {"labels": None}
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert files == [f"00000/img{i:08d}.png" for i in range(6)]
    for f in files:
        assert Image.open(out / f).size == (8, 8) and Image.open(out / f).mode == "RGB"
    # sorted source order: im0, im2, im4 (root) then sub/im1, sub/im3, sub/im5; im0 is 8x8 and kept as is
    np.testing.assert_array_equal(np.asarray(Image.open(out / files[0])), np.asarray(Image.open(image_folder / "im0.png")))
    assert not list(tmp_path.glob(".out.tmp-*"))  # temporary renamed away


def test_bad_images_are_skipped_and_reported(image_folder, tmp_path):
    add_bad_files(image_folder / "bad")
    report = build(image_folder, tmp_path / "out.zip", resolution=(8, 8))
    assert report.num_written == 6
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in report.skipped}
    assert set(reasons) == {"corrupt.png", "empty.png", "text.png"}
    assert "empty" in reasons["empty.png"] and "not a recognised image" in reasons["text.png"]
    assert report.report_path == tmp_path / "out-report.txt"
    text = report.report_path.read_text()
    assert "corrupt.png" in text and "empty.png" in text and "text.png" in text and "notes.txt" not in text


def test_strict_stops_at_the_first_bad_image_and_leaves_nothing(image_folder, tmp_path):
    add_bad_files(image_folder / "bad")
    for dest in (tmp_path / "out", tmp_path / "out.zip"):
        with pytest.raises(ValueError, match="bad/corrupt.png"):
            build(image_folder, dest, resolution=(8, 8), strict=True)
        assert not dest.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]  # no temporaries left either


def test_empty_source_and_all_bad_are_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: no images found"):
        build(tmp_path / "empty", tmp_path / "out")
    add_bad_files(tmp_path / "bad")
    with pytest.raises(ValueError, match="no usable images"):
        build(tmp_path / "bad", tmp_path / "out")
    with pytest.raises(ValueError, match="source not found"):
        build(tmp_path / "missing", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mixed_sizes_without_resolution_is_an_error_naming_a_file(image_folder, tmp_path):
    with pytest.raises(ValueError, match=r"im2.png: is 12x10 but .*im0.png is 8x8"):
        build(image_folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_keep_size_when_all_images_share_it(tmp_path):
    for i in range(3):
        write_image(tmp_path / "src" / f"{i}.png", (6, 4), seed=i)
    report = build(tmp_path / "src", tmp_path / "out")
    assert report.resolution == (6, 4)


def test_refuses_to_overwrite_unless_forced(image_folder, tmp_path):
    build(image_folder, tmp_path / "out", resolution=(8, 8), max_images=2)
    with pytest.raises(ValueError, match="already exists.*--force"):
        build(image_folder, tmp_path / "out", resolution=(8, 8))
    assert build(image_folder, tmp_path / "out", resolution=(8, 8), force=True).num_written == 6
    assert len(list((tmp_path / "out").rglob("*.png"))) == 6
    (tmp_path / "emptydir").mkdir()
    assert build(image_folder, tmp_path / "emptydir", resolution=(8, 8)).num_written == 6


def test_non_square_output(image_folder, tmp_path):
    report = build(image_folder, tmp_path / "out.zip", resolution=(16, 8))
    assert report.resolution == (16, 8)
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        img = Image.open(z.open("00000/img00000000.png"))
        assert img.size == (16, 8)  # W=16, H=8
    ds = ImageDataset(tmp_path / "out.zip")
    assert ds.image_shape == [3, 8, 16]
    with pytest.raises(ValueError, match="16x8 .*not square"):
        ds.require_square()


def test_grayscale_and_rgba_outputs(tmp_path):
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[0, 0] = [9, 9, 9, 0]  # fully transparent pixel
    (tmp_path / "src").mkdir()
    Image.fromarray(rgba, "RGBA").save(tmp_path / "src" / "a.png")
    build(tmp_path / "src", tmp_path / "rgb")
    rgb = np.asarray(Image.open(tmp_path / "rgb" / "00000/img00000000.png"))
    assert tuple(rgb[0, 0]) == (255, 255, 255) and tuple(rgb[1, 1]) == (0, 0, 0)
    build(tmp_path / "src", tmp_path / "rgba", channels=4)
    kept = Image.open(tmp_path / "rgba" / "00000/img00000000.png")
    assert kept.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(kept), rgba)
    build(tmp_path / "src", tmp_path / "gray", channels=1, background="black")
    gray = Image.open(tmp_path / "gray" / "00000/img00000000.png")
    assert gray.mode == "L" and np.asarray(gray)[0, 0] == 0
    assert ImageDataset(tmp_path / "gray").num_channels == 1 and ImageDataset(tmp_path / "rgba").num_channels == 4


def test_labels_from_folders(tmp_path):
    for cls, n in (("dogs", 2), ("cats", 3)):
        for i in range(n):
            write_image(tmp_path / "src" / cls / "deeper" / f"{i}.png", seed=i + 10 * n)
    write_image(tmp_path / "src" / "root.png")  # not in a class folder: skipped
    report = build(tmp_path / "src", tmp_path / "out.zip", labels="folders")
    assert report.class_names == ("cats", "dogs") and report.label_dim == 2 and report.num_written == 5
    assert [reason for _, reason in report.skipped] == ["not inside a class sub-folder"]
    with zipfile.ZipFile(tmp_path / "out.zip") as z:
        meta = json.loads(z.read("dataset.json"))
    assert meta["class_names"] == ["cats", "dogs"]
    assert [label for _, label in meta["labels"]] == [0, 0, 0, 1, 1]  # cats/* sort before dogs/*
    ds = ImageDataset(tmp_path / "out.zip", use_labels=True)
    assert ds.label_dim == 2 and ds.class_names == ("cats", "dogs")
    np.testing.assert_array_equal(ds[4][1], [0, 1])


def test_labels_from_csv_and_json(tmp_path):
    for i in range(4):
        write_image(tmp_path / "src" / "d" / f"{i}.png", seed=i)
    (tmp_path / "labels.csv").write_text("filename,label\nd/0.png,3\nd/1.png,0\n./d/2.png,1\nd/3.png,3\n")
    report = build(tmp_path / "src", tmp_path / "csv", labels=str(tmp_path / "labels.csv"))
    assert report.label_dim == 4 and report.class_names is None
    meta = json.loads((tmp_path / "csv" / "dataset.json").read_text())
    assert [label for _, label in meta["labels"]] == [3, 0, 1, 3]
    (tmp_path / "labels.json").write_text(json.dumps({"d/0.png": "b", "d/1.png": "a", "d/2.png": "b"}))
    report = build(tmp_path / "src", tmp_path / "json", labels=str(tmp_path / "labels.json"))
    assert report.class_names == ("a", "b") and report.num_written == 3
    assert [p.rsplit("/", 1)[-1] for p, _ in report.skipped] == ["3.png"]
    meta = json.loads((tmp_path / "json" / "dataset.json").read_text())
    assert [label for _, label in meta["labels"]] == [1, 0, 1]
    # the official dataset.json layout is accepted as a labels file too
    (tmp_path / "official.json").write_text(json.dumps({"labels": [[f"d/{i}.png", i % 2] for i in range(4)]}))
    assert build(tmp_path / "src", tmp_path / "off", labels=str(tmp_path / "official.json")).label_dim == 2
    with pytest.raises(ValueError, match=r"no label in labels.json"):
        build(tmp_path / "src", tmp_path / "strict", labels=str(tmp_path / "labels.json"), strict=True)
    (tmp_path / "nomatch.csv").write_text("x.png,1\n")
    with pytest.raises(ValueError, match="no image matches"):
        build(tmp_path / "src", tmp_path / "nm", labels=str(tmp_path / "nomatch.csv"))


def test_dedup_and_max_images(tmp_path):
    a = write_image(tmp_path / "src" / "a.png", seed=1)
    write_image(tmp_path / "src" / "b.png", seed=2)
    Image.fromarray(a).save(tmp_path / "src" / "c.png")  # same pixels as a.png
    Image.fromarray(a).save(tmp_path / "src" / "d.bmp")  # same pixels, other format
    report = build(tmp_path / "src", tmp_path / "out", dedup=True)
    assert report.num_written == 2 and [p.rsplit("/", 1)[-1] for p, _ in report.duplicates] == ["c.png", "d.bmp"]
    assert "duplicate" in (tmp_path / "out" / "report.txt").read_text()
    assert build(tmp_path / "src", tmp_path / "all").num_written == 4
    assert build(tmp_path / "src", tmp_path / "two", max_images=2).num_written == 2


def test_zip_and_list_sources_and_several_sources(image_folder, tmp_path):
    with zipfile.ZipFile(tmp_path / "in.zip", "w") as z:
        for p in sorted(image_folder.rglob("*.png")):
            z.write(p, p.relative_to(image_folder).as_posix())
        z.writestr("__MACOSX/._im0.png", b"junk")
    (tmp_path / "list.txt").write_text("# two images\nsrc/im0.png\n\nsrc/sub/im1.png\n")
    assert build(tmp_path / "in.zip", tmp_path / "z", resolution=(8, 8)).num_written == 6
    assert build(tmp_path / "list.txt", tmp_path / "l", resolution=(8, 8)).num_written == 2
    assert build([tmp_path / "list.txt", tmp_path / "in.zip"], tmp_path / "both", resolution=(8, 8)).num_written == 8
    (tmp_path / "list2.txt").write_text("src/missing.png\nsrc/im0.png\n")
    report = build(tmp_path / "list2.txt", tmp_path / "m", resolution=(8, 8))
    assert report.num_written == 1 and "cannot read" in report.skipped[0][1]


def test_zip_output_matches_folder_output_and_is_reproducible(image_folder, tmp_path):
    build(image_folder, tmp_path / "a.zip", resolution=(8, 8))
    build(image_folder, tmp_path / "b.zip", resolution=(8, 8))
    build(image_folder, tmp_path / "folder", resolution=(8, 8))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as z:
        infos = z.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert all(i.compress_type == zipfile.ZIP_STORED and i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    za, fo = ImageDataset(tmp_path / "a.zip"), ImageDataset(tmp_path / "folder")
    assert len(za) == len(fo) == 6
    np.testing.assert_array_equal(za.get_batch(range(6))[0], fo.get_batch(range(6))[0])


def test_config_round_trip_and_validation(tmp_path):
    cfg = DatasetToolConfig(sources=("a",), dest="b.zip", resolution=(64, 32), transform="pad", labels="folders")
    assert DatasetToolConfig.from_json(cfg.to_json()) == cfg
    with pytest.raises(ValueError, match="channels"):
        DatasetToolConfig(sources=("a",), dest="b", channels=2)
    with pytest.raises(ValueError, match="transform needs a resolution"):
        DatasetToolConfig(sources=("a",), dest="b", transform="pad")
    with pytest.raises(ValueError, match="background"):
        DatasetToolConfig(sources=("a",), dest="b", background="nope")
