import numpy as np
import pytest
import torch

from ganforge.explore.latents import ws_from_seeds
from ganforge.explore.style_mixing import layer_resolutions, parse_styles, preset_layers, style_mix, style_mixing_grid
from ganforge.utils.images import to_uint8


def _images(G, ws):
    with torch.no_grad():
        return G.synthesis(ws, noise_mode="const")


def test_mix_no_layers_is_row_all_layers_is_column(G):
    row, col = ws_from_seeds(G, [3, 4]), ws_from_seeds(G, [10, 11])
    assert torch.equal(_images(G, style_mix(row, col, [])), _images(G, row))
    assert torch.equal(_images(G, style_mix(row, col, range(G.num_ws))), _images(G, col))
    mixed = _images(G, style_mix(row, col, [0, 1]))
    assert not torch.allclose(mixed, _images(G, row)) and not torch.allclose(mixed, _images(G, col))


def test_grid_layout(G):
    rows, cols = [3, 4], [10, 11, 12]
    grid = style_mixing_grid(G, rows, cols, [0, 1, 2])
    r = G.img_resolution
    assert grid.shape == (3 * r, 4 * r, 3)
    assert (grid[:r, :r] == 255).all()  # blank corner
    col_imgs = to_uint8(_images(G, ws_from_seeds(G, cols)))
    row_imgs = to_uint8(_images(G, ws_from_seeds(G, rows)))
    assert np.array_equal(grid[:r, 2 * r:3 * r], col_imgs[1])
    assert np.array_equal(grid[2 * r:3 * r, :r], row_imgs[1])
    cell = to_uint8(_images(G, style_mix(ws_from_seeds(G, [4]), ws_from_seeds(G, [12]), [0, 1, 2])))[0]
    assert np.array_equal(grid[2 * r:, 3 * r:], cell)


def test_layer_presets_and_parsing():
    assert layer_resolutions(8, 32) == [4, 4, 8, 8, 16, 16, 32, 32]
    assert preset_layers("coarse", 8, 32) == [0, 1]
    assert preset_layers("middle", 8, 32) == [2, 3, 4, 5]
    assert preset_layers("fine", 8, 32) == [6, 7]
    # paper definition at >= 64 px: coarse 4-8, middle 16-32, fine 64+
    assert preset_layers("coarse", 18, 1024) == [0, 1, 2, 3]
    assert preset_layers("middle", 18, 1024) == [4, 5, 6, 7]
    assert preset_layers("fine", 18, 1024) == list(range(8, 18))
    assert parse_styles("0-6", 18, 1024) == list(range(7))
    assert parse_styles("coarse,7", 8, 32) == [0, 1, 7]
    assert parse_styles("", 8, 32) == []
    with pytest.raises(ValueError, match="out of range"):
        parse_styles("0-8", 8, 32)
    with pytest.raises(ValueError, match="unknown preset"):
        parse_styles("medium", 8, 32)
