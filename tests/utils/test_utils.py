import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.utils.images import make_grid, save_png, to_uint8
from ganforge.utils.seeds import parse_seeds, z_from_seeds


def test_parse_seeds():
    assert parse_seeds("0-3,7,10-11") == [0, 1, 2, 3, 7, 10, 11]
    for bad in ["-3", "3-1", "a", ""]:
        with pytest.raises(ValueError, match="--seeds"):
            parse_seeds(bad)


def test_z_from_seeds_matches_official_convention():
    z = z_from_seeds([3, 7], 5)
    np.testing.assert_allclose(z[1].numpy(), np.random.RandomState(7).randn(5).astype(np.float32))
    assert z.dtype == torch.float32 and z.shape == (2, 5)


def test_to_uint8_and_grid(tmp_path):
    img = torch.tensor([-1.0, 0.0, 1.0, 2.0]).reshape(1, 1, 2, 2)
    assert to_uint8(img)[0, :, :, 0].tolist() == [[0, 128], [255, 255]]
    tiles = np.arange(5 * 2 * 2 * 3, dtype=np.uint8).reshape(5, 2, 2, 3)
    grid = make_grid(tiles, cols=3)
    assert grid.shape == (4, 6, 3) and (grid[2:4, 2:4] == tiles[4]).all() and (grid[2:, 4:] == 255).all()
    path = save_png(grid, tmp_path / "sub" / "g.png")
    assert (np.asarray(Image.open(path)) == grid).all()
    assert [p.name for p in path.parent.iterdir()] == ["g.png"]  # no temp file left behind
