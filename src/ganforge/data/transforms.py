"""Image transforms of the dataset tool: decode, colour handling, crop / pad / stretch, resize.

Everything works on PIL images and returns ``[H, W, C]`` uint8 arrays; the order of operations is

1. decode fully (``load()``), apply the EXIF orientation, take the first frame of animations;
2. bring the pixels to ``RGBA`` / ``RGB`` / ``L`` (16-bit greys are scaled to 8 bits);
3. composite on the background colour when the source has alpha and the output has < 4 channels
   (compositing *before* resizing avoids dark fringes at the edges of transparent regions);
4. the geometric transform (below) with the chosen resize filter;
5. convert to the output channels (``L`` luma = ITU-R 601-2, as PIL does).

Geometric transforms (``size = (W, H)``, the output width and height):

* ``center-crop``: crop the largest centred region with the aspect ratio ``W/H``, resize to ``W x H``
  (a plain resize when the aspect ratios already match). This is the default.
* ``center-crop-wide``: as in the official tool, crop the centred ``W/H`` region, resize to ``W x H``
  and letterbox it on a ``W x W`` square canvas (bars in the background colour; use
  ``--background black`` for the official black bars). Sources narrower than ``W`` or whose crop
  would be lower than ``H`` are rejected (the official tool skips them too).
* ``pad``: resize to fit inside ``W x H`` keeping the aspect ratio, pad with the background colour
  (transparent for 4-channel output).
* ``stretch``: resize to ``W x H`` ignoring the aspect ratio.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from PIL import Image, ImageColor, ImageOps

ResizeFilter = Literal["box", "lanczos", "bicubic"]
Transform = Literal["center-crop", "center-crop-wide", "pad", "stretch"]

RESIZE_FILTERS: dict[str, Image.Resampling] = {
    "box": Image.Resampling.BOX,
    "lanczos": Image.Resampling.LANCZOS,
    "bicubic": Image.Resampling.BICUBIC,
}
TRANSFORMS: tuple[str, ...] = ("center-crop", "center-crop-wide", "pad", "stretch")
CHANNEL_MODES: dict[int, str] = {1: "L", 3: "RGB", 4: "RGBA"}


class BadImageError(Exception):
    """An input image that cannot be used (corrupt, truncated, unsupported, too small); the message is the reason."""


def parse_resolution(text: str) -> tuple[int, int]:
    """``"64x32"`` -> ``(64, 32)`` (width, height); ``"32"`` -> ``(32, 32)``."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        if len(parts) not in (1, 2):
            raise ValueError
        width, height = int(parts[0]), int(parts[-1])
    except ValueError:
        raise ValueError(f"resolution {text!r}: expected N or WxH, e.g. 32 or 64x32") from None
    if width < 1 or height < 1:
        raise ValueError(f"resolution {text!r}: width and height must be positive")
    return width, height


def parse_color(text: str) -> tuple[int, int, int]:
    """A colour name (``white``), ``#rrggbb`` / ``#rgb``, or ``r,g,b`` (0-255) -> ``(r, g, b)``."""
    value = str(text).strip()
    if "," in value and not value.lower().startswith(("rgb", "hsl", "hsv")):
        try:
            rgb = tuple(int(v) for v in value.split(","))
        except ValueError:
            rgb = ()
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise ValueError(f"background {text!r}: expected three integers 0-255, e.g. 255,255,255")
        return rgb  # type: ignore[return-value]
    try:
        rgb = ImageColor.getrgb(value)
    except ValueError:
        raise ValueError(f"background {text!r}: not a colour name, #rrggbb or r,g,b") from None
    return rgb[:3]  # type: ignore[return-value]


def decode_image(data: bytes) -> Image.Image:
    """Decode fully (so corrupt and truncated files fail here) and normalise to ``L``, ``RGB`` or ``RGBA``.

    Raises:
        BadImageError: with a short reason, for empty, unrecognised, truncated or corrupt data.
    """
    if len(data) == 0:
        raise BadImageError("empty file (0 bytes)")
    try:
        img = Image.open(io.BytesIO(data))
        img.load()  # decodes every pixel: truncated / corrupt data raises here, not later
        img = ImageOps.exif_transpose(img)
    except Image.UnidentifiedImageError:
        raise BadImageError("not a recognised image format") from None
    except Image.DecompressionBombError as exc:
        raise BadImageError(f"too large ({exc})") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        raise BadImageError(f"corrupt or truncated ({exc})") from None
    return _normalise_mode(img)


def _normalise_mode(img: Image.Image) -> Image.Image:
    if img.mode in ("L", "RGB", "RGBA"):
        return img
    if img.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N"):  # 16-bit greys: 0..65535 -> 0..255
        arr = np.asarray(img, dtype=np.float64)
        return Image.fromarray(np.clip(np.rint(arr / 257.0), 0, 255).astype(np.uint8), "L")
    if img.mode == "F":
        raise BadImageError("floating-point images are not supported")
    has_alpha = img.mode in ("LA", "La", "RGBa", "PA") or (img.mode == "P" and "transparency" in img.info)
    if img.mode == "1":
        return img.convert("L")
    return img.convert("RGBA" if has_alpha else "RGB")


def composite(img: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Composite an ``RGBA`` image over an opaque background colour -> ``RGB`` (other modes unchanged)."""
    if img.mode != "RGBA":
        return img
    canvas = Image.new("RGBA", img.size, (*background, 255))
    return Image.alpha_composite(canvas, img).convert("RGB")


def center_crop_box(src: tuple[int, int], aspect: tuple[int, int]) -> tuple[int, int, int, int]:
    """The largest centred ``(left, top, right, bottom)`` box of ``src = (w, h)`` with aspect ``W:H``."""
    sw, sh = src
    aw, ah = aspect
    if sw * ah > sh * aw:  # source wider than the target: crop the width
        cw, ch = max(1, round(sh * aw / ah)), sh
    elif sw * ah < sh * aw:  # source taller: crop the height
        cw, ch = sw, max(1, round(sw * ah / aw))
    else:
        return 0, 0, sw, sh
    left, top = (sw - cw) // 2, (sh - ch) // 2
    return left, top, left + cw, top + ch


def _fill(mode: str, background: tuple[int, int, int]) -> tuple[int, ...] | int:
    if mode == "RGBA":
        return (*background, 0)  # padding of RGBA output is transparent
    if mode == "L":
        return int(np.rint(0.299 * background[0] + 0.587 * background[1] + 0.114 * background[2]))
    return background


def resize_transform(img: Image.Image, size: tuple[int, int], transform: Transform, resize_filter: ResizeFilter,
                     background: tuple[int, int, int]) -> Image.Image:
    """Apply one geometric transform; ``size = (W, H)``. See the module docstring for each transform."""
    if transform not in TRANSFORMS:
        raise ValueError(f"transform {transform!r}: expected one of {', '.join(TRANSFORMS)}")
    resample = RESIZE_FILTERS[resize_filter]
    width, height = size

    def resize(im: Image.Image, wh: tuple[int, int]) -> Image.Image:
        return im if im.size == wh else im.resize(wh, resample)

    if transform == "stretch":
        return resize(img, size)
    if transform == "center-crop":
        return resize(img.crop(center_crop_box(img.size, size)), size)
    if transform == "pad":
        sw, sh = img.size
        scale = min(width / sw, height / sh)
        inner = (max(1, min(width, round(sw * scale))), max(1, min(height, round(sh * scale))))
        canvas = Image.new(img.mode, size, _fill(img.mode, background))
        canvas.paste(resize(img, inner), ((width - inner[0]) // 2, (height - inner[1]) // 2))
        return canvas
    # center-crop-wide: letterboxed on a W x W canvas, like the official tool.
    sw, sh = img.size
    crop_h = round(width * sh / sw)
    if sw < width or crop_h < height:
        raise BadImageError(f"{sw}x{sh} is too small for center-crop-wide to {width}x{height} (no upscaling)")
    box = center_crop_box(img.size, size)
    canvas = Image.new(img.mode, (width, width), _fill(img.mode, background))
    canvas.paste(resize(img.crop(box), size), (0, (width - height) // 2))
    return canvas


def prepare_image(img: Image.Image, *, size: tuple[int, int] | None, transform: Transform, resize_filter: ResizeFilter,
                  channels: int, background: tuple[int, int, int]) -> np.ndarray:
    """Decoded image -> ``[H, W, C]`` uint8 output pixels (``C = channels``; ``size=None`` keeps the size).

    Args:
        img: a decoded image (``decode_image`` output).
        size: output ``(W, H)``, or ``None`` to keep the source size.
        transform: geometric transform (ignored when ``size`` is ``None``).
        resize_filter: ``box``, ``lanczos`` or ``bicubic``.
        channels: 1 (grayscale), 3 (RGB) or 4 (RGBA).
        background: RGB colour that alpha is composited on (``channels < 4``) and that padding uses.
    """
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels must be 1, 3 or 4, got {channels}")
    img = _normalise_mode(img)
    if channels == 4:
        img = img.convert("RGBA")  # resize premultiplies alpha for RGBA, so no fringes here either
    else:
        img = composite(img, background)
        if channels == 3:
            img = img.convert("RGB")
    if size is not None:
        img = resize_transform(img, size, transform, resize_filter, background)
    arr = np.asarray(img.convert(CHANNEL_MODES[channels]), dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr
