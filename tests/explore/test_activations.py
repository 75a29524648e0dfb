import numpy as np
import torch

from ganforge.explore.activations import activation_mosaics, capture_block_outputs, feature_mosaic
from ganforge.explore.latents import ws_from_seeds


def test_hooks_capture_every_block_and_are_removed(G):
    ws = ws_from_seeds(G, [0])
    feats = capture_block_outputs(G, ws)
    assert sorted(feats) == ["b16", "b4", "b8", "img"]
    assert feats["b4"].shape[-1] == 4 and feats["b16"].shape[-1] == 16
    assert all(not getattr(G.synthesis, f"b{r}")._forward_hooks for r in (4, 8, 16))
    with torch.no_grad():
        assert torch.equal(feats["img"], G.synthesis(ws, noise_mode="const"))


def test_mosaic_layout_and_normalisation():
    x = torch.zeros(4, 2, 2)
    x[0] = torch.tensor([[0.0, 1.0], [2.0, 3.0]])  # min-max -> 0, 85, 170, 255
    x[1] = 7.0  # constant -> mid grey
    m = feature_mosaic(x, tile=4, pad=0)
    assert m.shape == (8, 8, 1)  # 2x2 tiles of 4x4 px
    assert m[0, 0, 0] == 0 and m[0, 2, 0] == 85 and m[2, 0, 0] == 170 and m[3, 3, 0] == 255
    assert (m[:4, 4:] == 128).all()


def test_activation_mosaics(G):
    out = activation_mosaics(G, ws_from_seeds(G, [1]), tile=16, max_channels=4)
    assert out["img"].shape == (16, 16, 3) and out["img"].dtype == np.uint8
    assert out["b4"].shape == (2 * 16 + 1, 2 * 16 + 1, 1)  # 4 channels, 2x2 tiles, 1 px padding
