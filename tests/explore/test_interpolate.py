import numpy as np
import pytest

from ganforge.explore import video as video_mod
from ganforge.explore.interpolate import interpolation_frames, walk_positions
from ganforge.explore.video import read_video, write_video
from ganforge.inference.generate import generate_images


def test_walk_positions_counts():
    assert len(walk_positions(3, 4, loop=False)) == 9  # 2 transitions x 4 + the last keyframe
    assert len(walk_positions(3, 4, loop=True)) == 12
    assert walk_positions(2, 2, loop=False) == [(0, 1, 0.0), (0, 1, 0.5), (0, 1, 1.0)]
    with pytest.raises(ValueError, match="at least 2 seeds"):
        walk_positions(1, 4, loop=False)


@pytest.mark.parametrize("space", ["z", "w"])
def test_walk_starts_and_ends_on_the_seed_images(G, space):
    frames = interpolation_frames(G, [[5, 6, 7]], 3, space=space, psi=0.7)
    assert frames.shape == (7, 16, 16, 3)
    keys = generate_images(G, [5, 6, 7], psi=0.7).numpy()
    for f, k in ((0, 0), (3, 1), (6, 2)):
        assert np.abs(frames[f].astype(int) - keys[k].astype(int)).max() <= 1


def test_grid_of_walks(G):
    frames = interpolation_frames(G, [[1, 2], [3, 4], [5, 6], [7, 8]], 2, loop=True, grid_cols=2)
    assert frames.shape == (4, 32, 32, 3)
    single = interpolation_frames(G, [[7, 8]], 2, loop=True)
    assert np.array_equal(frames[:, 16:, 16:], single)


def test_gif_decodes_to_frame_count(tmp_path):
    rng = np.random.RandomState(0)
    frames = rng.randint(0, 256, size=(7, 8, 8, 3), dtype=np.uint8)
    path = write_video(frames, tmp_path / "a.gif", fps=10, scale=2)
    back = read_video(path)
    assert back.shape == (7, 16, 16, 3)


def test_mp4_decodes_to_frame_count(tmp_path):
    pytest.importorskip("imageio")
    pytest.importorskip("imageio_ffmpeg")
    frames = np.stack([np.full((16, 16, 3), 10 * i, np.uint8) for i in range(9)])
    back = read_video(write_video(frames, tmp_path / "a.mp4", fps=12))
    assert back.shape == (9, 16, 16, 3)
    assert abs(int(back[5].mean()) - 50) <= 3  # frames in order


def test_mp4_without_imageio_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(video_mod, "_imageio", lambda: None)
    with pytest.raises(ValueError, match="imageio-ffmpeg"):
        write_video(np.zeros((2, 8, 8, 3), np.uint8), tmp_path / "a.mp4")
    assert not (tmp_path / "a.mp4").exists()
    write_video(np.zeros((2, 8, 8, 3), np.uint8), tmp_path / "a.gif")  # GIF still works
    with pytest.raises(ValueError, match="video format"):
        write_video(np.zeros((2, 8, 8, 3), np.uint8), tmp_path / "a.avi")
