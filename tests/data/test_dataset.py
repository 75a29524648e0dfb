import json
import pickle
import zipfile

import numpy as np
import pytest
import torch

from ganforge.data import ImageDataset

from .conftest import write_image


@pytest.fixture
def plain_folder(tmp_path):
    """Five 6x4 (WxH) RGB images, no dataset.json (like any folder of images)."""
    pixels = [write_image(tmp_path / "plain" / f"{i}.png", (6, 4), seed=i) for i in range(5)]
    return tmp_path / "plain", pixels


@pytest.mark.parametrize("in_memory", [True, False])
def test_reads_plain_folder(plain_folder, in_memory):
    path, pixels = plain_folder
    ds = ImageDataset(path, in_memory=in_memory)
    assert len(ds) == 5 and ds.image_shape == [3, 4, 6] and ds.num_channels == 3 and ds.name == "plain"
    assert ds.label_dim == 0 and not ds.has_labels
    img, label = ds[2]
    assert img.dtype == np.uint8 and label.dtype == np.float32 and label.shape == (0,)
    np.testing.assert_array_equal(img, pixels[2].transpose(2, 0, 1))
    with pytest.raises(ValueError, match="not square"):
        ds.resolution
    with pytest.raises(ValueError, match="labels requested"):
        ImageDataset(path, use_labels=True)


@pytest.mark.parametrize("in_memory", [True, False])
def test_xflip_indexing_and_get_batch_equals_stacking(plain_folder, in_memory):
    path, pixels = plain_folder
    ds = ImageDataset(path, xflip=True, in_memory=in_memory)
    assert len(ds) == 10
    np.testing.assert_array_equal(ds[7][0], pixels[2].transpose(2, 0, 1)[:, :, ::-1])  # 7 = mirrored image 2
    np.testing.assert_array_equal(ds[-1][0], ds[9][0])
    idx = np.array([9, 0, 7, 2, 2, 5])
    images, labels = ds.get_batch(idx)
    assert images.dtype == torch.uint8 and images.shape == (6, 3, 4, 6) and labels.shape == (6, 0)
    expected = np.stack([ds[int(i)][0] for i in idx])
    np.testing.assert_array_equal(images.numpy(), expected)
    np.testing.assert_array_equal(ds.get_batch(torch.tensor(idx))[0], expected)
    with pytest.raises(IndexError):
        ds.get_batch([10])
    with pytest.raises(IndexError):
        ds[10]


def test_labels_one_hot_and_batch(tmp_path):
    for i in range(4):
        write_image(tmp_path / "d" / f"{i}.png", seed=i)
    (tmp_path / "d" / "dataset.json").write_text(json.dumps({"labels": [[f"{i}.png", [2, 0, 1, 2][i]] for i in range(4)]}))
    ds = ImageDataset(tmp_path / "d", use_labels=True, xflip=True)
    assert ds.has_labels and ds.label_dim == 3 and ds.label_shape == [3]
    np.testing.assert_array_equal(ds[0][1], [0, 0, 1])
    np.testing.assert_array_equal(ds[5][1], [1, 0, 0])  # mirrored image 1 keeps its label
    _, labels = ds.get_batch([0, 1, 6])
    assert labels.dtype == torch.float32
    np.testing.assert_array_equal(labels.numpy(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert ImageDataset(tmp_path / "d").label_dim == 0  # labels unused unless asked for


def test_vector_labels(tmp_path):
    for i in range(2):
        write_image(tmp_path / "d" / f"{i}.png", seed=i)
    (tmp_path / "d" / "dataset.json").write_text(json.dumps({"labels": [["0.png", [0.5, 1.5]], ["1.png", [1, 2]]]}))
    ds = ImageDataset(tmp_path / "d", use_labels=True)
    np.testing.assert_array_equal(ds[0][1], [0.5, 1.5])


def test_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="dataset not found"):
        ImageDataset(tmp_path / "nope")
    write_image(tmp_path / "mixed" / "a.png", (4, 4))
    write_image(tmp_path / "mixed" / "b.png", (5, 4))
    with pytest.raises(ValueError, match=r"b.png has shape \[3, 4, 5\]"):
        ImageDataset(tmp_path / "mixed").get_batch([0, 1])
    write_image(tmp_path / "chans" / "a.png", (4, 4), mode="RGB")
    write_image(tmp_path / "chans" / "b.png", (4, 4), mode="L")
    with pytest.raises(ValueError, match=r"b.png has shape \[1, 4, 4\]"):
        ImageDataset(tmp_path / "chans", in_memory=False)[1]
    write_image(tmp_path / "miss" / "a.png")
    (tmp_path / "miss" / "dataset.json").write_text(json.dumps({"labels": [["a.png", 0], ["gone.png", 1]]}))
    with pytest.raises(ValueError, match="gone.png, which is not in the dataset"):
        ImageDataset(tmp_path / "miss")
    write_image(tmp_path / "nolabel" / "a.png")
    write_image(tmp_path / "nolabel" / "b.png")
    (tmp_path / "nolabel" / "dataset.json").write_text(json.dumps({"labels": [["a.png", 0]]}))
    with pytest.raises(ValueError, match="no label for b.png"):
        ImageDataset(tmp_path / "nolabel")
    (tmp_path / "badjson").mkdir()
    write_image(tmp_path / "badjson" / "a.png")
    (tmp_path / "badjson" / "dataset.json").write_text("{oops")
    with pytest.raises(ValueError, match="dataset.json is not valid JSON"):
        ImageDataset(tmp_path / "badjson")
    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "a.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match="a.png: not a recognised image format"):
        ImageDataset(tmp_path / "corrupt")


def test_zip_dataset_max_size_and_pickle(tmp_path):
    pixels = [write_image(tmp_path / "f" / f"{i}.png", (4, 4), seed=i) for i in range(10)]
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as z:
        for i in range(10):
            z.write(tmp_path / "f" / f"{i}.png", f"x/{i}.png")
    ds = ImageDataset(tmp_path / "d.zip", in_memory=False)
    assert ds.name == "d" and len(ds) == 10
    np.testing.assert_array_equal(ds[3][0], pixels[3].transpose(2, 0, 1))  # x/3.png sorts 4th
    clone = pickle.loads(pickle.dumps(ds))  # as a DataLoader worker would get it
    np.testing.assert_array_equal(clone[3][0], ds[3][0])
    small = ImageDataset(tmp_path / "d.zip", max_size=4)
    assert len(small) == 4
    again = ImageDataset(tmp_path / "d.zip", max_size=4)
    np.testing.assert_array_equal(small.get_batch(range(4))[0], again.get_batch(range(4))[0])  # same subset

