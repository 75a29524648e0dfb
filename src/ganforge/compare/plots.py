"""Small PNG figures drawn with Pillow (no matplotlib): line plots of several series, labelled image rows.

``line_plot`` returns an ``[H, W, 3]`` uint8 array; save it with ``ganforge.utils.images.save_png``.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PALETTE = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207), (0, 0, 0), (255, 187, 120)]


def _font() -> ImageFont.ImageFont:
    return ImageFont.load_default()


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering ``[lo, hi]``."""
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / count))
    for mult in (1, 2, 5, 10):
        if (hi - lo) / (step * mult) <= count:
            step *= mult
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _fmt(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.2e}"


def line_plot(series: dict[str, tuple[list[float], list[float]]], *, title: str, xlabel: str, ylabel: str = "",
              size: tuple[int, int] = (720, 420), smooth: int = 1) -> np.ndarray:
    """Series ``label -> (xs, ys)`` on shared axes, with a legend; non-finite points are skipped.

    Args:
        smooth: Moving-average window over consecutive points (1 = raw).

    Returns:
        ``[H, W, 3]`` uint8 image.
    """
    width, height = size
    left, right, top, bottom = 64, 200, 28, 40
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = _font()
    clean = {}
    for label, (xs, ys) in series.items():
        pts = [(float(x), float(y)) for x, y in zip(xs, ys) if math.isfinite(x) and math.isfinite(y)]
        if smooth > 1 and pts:
            ys_s = np.convolve([p[1] for p in pts], np.ones(smooth) / smooth, mode="valid")
            pts = list(zip([p[0] for p in pts][smooth - 1:], ys_s.tolist()))
        clean[label] = pts
    allx = [x for pts in clean.values() for x, _ in pts]
    ally = [y for pts in clean.values() for _, y in pts]
    draw.text((left, 8), title, fill="black", font=font)
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    draw.rectangle([x0, y0, x1, y1], outline="black")
    if not allx:
        draw.text((x0 + 10, y0 + 10), "no data", fill="gray", font=font)
        return np.asarray(img)
    xmin, xmax = min(allx), max(allx)
    ymin, ymax = min(ally), max(ally)
    if xmax == xmin:
        xmax = xmin + 1
    if ymax == ymin:
        ymax, ymin = ymax + 0.5, ymin - 0.5
    pad = (ymax - ymin) * 0.05
    ymin, ymax = ymin - pad, ymax + pad
    sx = lambda x: x0 + (x - xmin) / (xmax - xmin) * (x1 - x0)  # noqa: E731
    sy = lambda y: y1 - (y - ymin) / (ymax - ymin) * (y1 - y0)  # noqa: E731
    for t in _ticks(xmin, xmax):
        draw.line([sx(t), y1, sx(t), y1 + 4], fill="black")
        draw.line([sx(t), y0, sx(t), y1], fill=(235, 235, 235))
        draw.text((sx(t) - 10, y1 + 6), _fmt(t), fill="black", font=font)
    for t in _ticks(ymin, ymax):
        draw.line([x0 - 4, sy(t), x0, sy(t)], fill="black")
        draw.line([x0, sy(t), x1, sy(t)], fill=(235, 235, 235))
        draw.text((4, sy(t) - 6), _fmt(t), fill="black", font=font)
    draw.rectangle([x0, y0, x1, y1], outline="black")
    draw.text(((x0 + x1) // 2 - 20, height - 16), xlabel, fill="black", font=font)
    if ylabel:
        draw.text((4, 8), ylabel, fill="black", font=font)
    for i, (label, pts) in enumerate(clean.items()):
        color = PALETTE[i % len(PALETTE)]
        coords = [(sx(x), sy(y)) for x, y in pts]
        if len(coords) > 1:
            draw.line(coords, fill=color, width=2)
        for cx, cy in coords[-1:]:
            draw.ellipse([cx - 2, cy - 2, cx + 2, cy + 2], fill=color)
        ly = y0 + 4 + i * 14
        draw.line([x1 + 8, ly + 6, x1 + 24, ly + 6], fill=color, width=3)
        draw.text((x1 + 28, ly), label[:28], fill="black", font=font)
    return np.asarray(img)


def labelled_row(images: list[tuple[str, np.ndarray]], *, pad: int = 6, label_height: int = 14,
                 max_per_row: int = 4) -> np.ndarray:
    """Images ``[H, W, 3]`` side by side (wrapped every ``max_per_row``), each with its label above: ``[H', W', 3]``."""
    if not images:
        raise ValueError("labelled_row: no images")
    h = max(im.shape[0] for _, im in images)
    w = max(im.shape[1] for _, im in images)
    cols = min(len(images), max_per_row)
    rows = math.ceil(len(images) / cols)
    canvas = Image.new("RGB", (cols * (w + pad) + pad, rows * (h + label_height + pad) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    for i, (label, im) in enumerate(images):
        r, c = divmod(i, cols)
        x, y = pad + c * (w + pad), pad + r * (h + label_height + pad)
        draw.text((x, y), label[:max(w // 6, 8)], fill="black", font=_font())
        canvas.paste(Image.fromarray(im[..., :3] if im.ndim == 3 else np.repeat(im[..., None], 3, 2)),
                     (x, y + label_height))
    return np.asarray(canvas)
