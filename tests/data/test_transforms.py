import io

import numpy as np
import pytest
from PIL import Image

from ganforge.data.transforms import (
    BadImageError, center_crop_box, decode_image, parse_color, parse_resolution, prepare_image, resize_transform,
)


def prep(img, size, transform="center-crop", resize_filter="lanczos", channels=3, background=(255, 255, 255)):
    return prepare_image(img, size=size, transform=transform, resize_filter=resize_filter, channels=channels,
                         background=background)


def test_parse_resolution_and_color():
    assert parse_resolution("64x32") == (64, 32)  # width 64, height 32
    assert parse_resolution("32") == (32, 32)
    for bad in ("", "0", "64x", "axb", "1x2x3"):
        with pytest.raises(ValueError, match="resolution"):
            parse_resolution(bad)
    assert parse_color("white") == (255, 255, 255)
    assert parse_color("#102030") == (16, 32, 48)
    assert parse_color("1,2,3") == (1, 2, 3)
    for bad in ("nocolour", "1,2", "1,2,300"):
        with pytest.raises(ValueError, match="background"):
            parse_color(bad)


def test_box_filter_downscale_is_the_block_mean():
    # 4x2 image made of two 2x2 blocks; box-downscaling by 2 must give each block's exact mean.
    block = np.array([[0, 100, 30, 30], [200, 40, 30, 30]], dtype=np.uint8)  # means 85 and 30
    img = Image.fromarray(np.repeat(block[:, :, None], 3, axis=2))
    out = prep(img, (2, 1), resize_filter="box")
    assert out.shape == (1, 2, 3)
    np.testing.assert_array_equal(out[0, :, 0], [85, 30])


@pytest.mark.parametrize("resize_filter", ["box", "lanczos", "bicubic"])
def test_constant_image_stays_constant(resize_filter):
    img = Image.new("RGB", (20, 12), (10, 120, 250))
    out = prep(img, (7, 5), transform="stretch", resize_filter=resize_filter)
    assert out.shape == (5, 7, 3) and (out == [10, 120, 250]).all()


def test_filters_differ_on_a_natural_image():
    img = Image.fromarray(np.random.RandomState(0).randint(0, 256, (32, 32, 3), dtype=np.uint8))
    box, lanczos = prep(img, (16, 16), resize_filter="box"), prep(img, (16, 16), resize_filter="lanczos")
    assert not np.array_equal(box, lanczos)


def test_center_crop_box():
    assert center_crop_box((100, 50), (1, 1)) == (25, 0, 75, 50)
    assert center_crop_box((50, 100), (1, 1)) == (0, 25, 50, 75)
    assert center_crop_box((64, 64), (2, 1)) == (0, 16, 64, 48)  # 64x32 out of 64x64
    assert center_crop_box((30, 20), (3, 2)) == (0, 0, 30, 20)  # same aspect: no crop


def test_transforms_geometry():
    # left half black, right half white, 20x10
    arr = np.zeros((10, 20, 3), dtype=np.uint8)
    arr[:, 10:] = 255
    img = Image.fromarray(arr)
    crop = prep(img, (4, 4), resize_filter="box")  # centre 10x10 -> half black, half white
    assert (crop[:, :2] == 0).all() and (crop[:, 2:] == 255).all()
    stretch = prep(img, (4, 4), transform="stretch", resize_filter="box")
    assert (stretch[:, :2] == 0).all() and (stretch[:, 2:] == 255).all()
    pad = prep(Image.new("RGB", (20, 10), (0, 0, 0)), (8, 8), transform="pad", background=(255, 0, 0))
    assert (pad[2:6] == 0).all() and (pad[:2] == [255, 0, 0]).all() and (pad[6:] == [255, 0, 0]).all()
    wide = prep(Image.new("RGB", (40, 40), (0, 0, 0)), (8, 4), transform="center-crop-wide", background=(0, 0, 255))
    assert wide.shape == (8, 8, 3)  # letterboxed on a W x W canvas, like the official tool
    assert (wide[2:6] == 0).all() and (wide[:2] == [0, 0, 255]).all()
    with pytest.raises(BadImageError, match="too small"):
        resize_transform(Image.new("RGB", (4, 4)), (8, 4), "center-crop-wide", "box", (0, 0, 0))


def test_rgba_composite_and_channels():
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)  # fully transparent black ...
    rgba[0, 0] = [255, 0, 0, 255]  # ... except one opaque red pixel
    img = Image.fromarray(rgba, "RGBA")
    rgb = prep(img, None, channels=3)
    assert (rgb[0, 0] == [255, 0, 0]).all() and (rgb[1:, :] == 255).all()  # transparent -> exactly white
    assert (prep(img, None, channels=3, background=(0, 0, 0))[1, 1] == 0).all()
    kept = prep(img, None, channels=4)
    np.testing.assert_array_equal(kept, rgba)
    gray = prep(img, None, channels=1)
    assert gray.shape == (4, 4, 1) and gray[1, 1, 0] == 255 and gray[0, 0, 0] == 76  # 0.299 * 255


def test_decode_bad_data():
    with pytest.raises(BadImageError, match="empty"):
        decode_image(b"")
    with pytest.raises(BadImageError, match="not a recognised"):
        decode_image(b"hello, I am text")
    buf = io.BytesIO()
    Image.fromarray(np.random.RandomState(0).randint(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, "PNG")
    with pytest.raises(BadImageError, match="truncated"):
        decode_image(buf.getvalue()[: len(buf.getvalue()) // 2])


def test_decode_normalises_modes():
    buf = io.BytesIO()
    Image.new("P", (2, 2), 0).save(buf, "PNG")
    assert decode_image(buf.getvalue()).mode == "RGB"
    buf = io.BytesIO()
    Image.fromarray(np.full((2, 2), 65535, dtype=np.uint16)).save(buf, "PNG")  # 16-bit grey
    img = decode_image(buf.getvalue())
    assert img.mode == "L" and np.asarray(img).max() == 255
