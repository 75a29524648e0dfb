"""Side-by-side sample grids of one run at chosen kimg, each labelled (the "grids per stage" figure of docs/progan.md).

    python scripts/stage_grids.py RUN_DIR --kimg 2,4,6,8 --labels "4 px,8 px,16 px,32 px" --out figure.png

Reads the run's ``fakesKKKKKK.png`` grids (``--grid`` images per side, ``--res`` px each), keeps the top-left
``--crop x --crop`` tiles of each, upscales them ``--scale`` times (nearest) and writes one PNG with a label above
each panel. The grids use the same latents at every tick, so a column follows the same z through training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def panel(path: Path, res: int, crop: int, scale: int, pad: int) -> np.ndarray:
    img = np.asarray(Image.open(path).convert("RGB"))
    side = crop * res + (crop - 1) * pad  # the grid's tiles are res px with pad px between them
    out = img[:side, :side]
    return out.repeat(scale, axis=0).repeat(scale, axis=1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path)
    p.add_argument("--kimg", required=True, help="comma-separated kimg of the grids (fakesKKKKKK.png)")
    p.add_argument("--labels", help="comma-separated labels (default: 'KIMG kimg')")
    p.add_argument("--res", type=int, default=32, help="tile size of the grids")
    p.add_argument("--pad", type=int, default=0, help="padding between tiles in the grids")
    p.add_argument("--crop", type=int, default=4, help="tiles per side to keep")
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    kimgs = [int(k) for k in args.kimg.split(",")]
    labels = args.labels.split(",") if args.labels else [f"{k} kimg" for k in kimgs]
    panels = [panel(args.run_dir / f"fakes{k:06d}.png", args.res, args.crop, args.scale, args.pad) for k in kimgs]
    gap, label_h = 8, 18
    height = max(q.shape[0] for q in panels) + label_h
    width = sum(q.shape[1] for q in panels) + gap * (len(panels) - 1)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    x = 0
    for q, label in zip(panels, labels):
        canvas.paste(Image.fromarray(q), (x, label_h))
        draw.text((x + 2, 2), label.strip(), fill="black")
        x += q.shape[1] + gap
    args.out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(args.out)
    print(f"wrote {args.out} ({width}x{height})")


if __name__ == "__main__":
    main()
