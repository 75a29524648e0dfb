import time

import numpy as np
import pytest

from ganforge.data import ImageDataset, bundled_dataset_path


def test_bundled_emoji_dataset_loads():
    path = bundled_dataset_path()
    assert path.name == "emoji-32.zip" and path.is_file()
    assert path.stat().st_size < 8e6
    ds = ImageDataset(path, use_labels=True, xflip=True)
    assert ds.num_images == 3786 and len(ds) == 2 * 3786 and ds.image_shape == [3, 32, 32] and ds.resolution == 32
    assert ds.label_dim == 10 and ds.class_names[0] == "Activities"
    images, labels = ds.get_batch(np.arange(ds.num_images))
    corners = images[:, :, [0, 0, -1, -1], [0, -1, 0, -1]]  # [N, 3, 4]
    white = (corners == 255).all(dim=1).all(dim=1).float().mean()  # emoji on a white background
    assert white > 0.8, f"only {white:.0%} of the images have four white corners"
    assert (labels.sum(dim=1) == 1).all()
    counts = labels.sum(dim=0).int().tolist()
    assert counts[ds.class_names.index("Flags")] == 270 and counts[ds.class_names.index("People & Body")] == 2261

    # the training loop gathers a batch per step: it must be a cheap in-memory gather
    idx = np.random.RandomState(0).randint(0, len(ds), 64)
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        batch, _ = ds.get_batch(idx)
        times.append(time.perf_counter() - t0)
    assert batch.shape == (64, 3, 32, 32)
    assert np.median(times) < 1e-3, f"get_batch(64) took {np.median(times) * 1e6:.0f} us"


def test_missing_bundled_dataset_is_a_clear_error(monkeypatch, tmp_path):
    import ganforge.data.bundled as bundled
    monkeypatch.setattr(bundled, "__file__", str(tmp_path / "a" / "b" / "c" / "bundled.py"))
    with pytest.raises(ValueError, match="emoji-32.zip: the bundled emoji dataset is missing"):
        bundled.bundled_dataset_path()
