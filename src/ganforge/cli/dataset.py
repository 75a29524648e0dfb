"""``ganforge dataset``: turn folders / zips / lists of images into a training dataset.

The output has the official StyleGAN2-ADA layout (00000/img00000000.png ..., dataset.json), in a
folder or an uncompressed .zip. Bad images are skipped and listed in a report (--strict: stop instead).

examples:
  ganforge dataset --source photos/ --dest data/photos-64.zip --resolution 64
  ganforge dataset --source pets/ --dest data/pets.zip --resolution 32 --labels folders
  ganforge dataset --source cars.zip --dest data/cars.zip --resolution 64x32 --transform center-crop
  ganforge dataset --source icons/ --dest data/icons/ --resolution 32 --channels 4 --resize-filter box
  ganforge dataset --source list.txt --source more/ --dest out.zip --labels labels.csv --dedup --max-images 1000
"""

from __future__ import annotations

import argparse
import sys

from ganforge.data.dataset_tool import DatasetToolConfig, convert_dataset
from ganforge.data.transforms import TRANSFORMS, parse_resolution


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dataset", help="build a training dataset (folder or .zip) from images",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--source", action="extend", nargs="+", required=True, metavar="PATH",
                   help="folder (recursive), .zip, or text file with one image path per line; several allowed")
    p.add_argument("--dest", required=True, help="output folder, or a path ending in .zip")
    p.add_argument("--resolution", metavar="WxH|N", help="output size, e.g. 64x32 (width x height) or 32; "
                   "default: keep the source size (all images must share it)")
    p.add_argument("--resize-filter", choices=["box", "lanczos", "bicubic"], default="lanczos",
                   help="resampling filter (default: %(default)s; box reproduces the ADA paper's FIDs)")
    p.add_argument("--transform", choices=list(TRANSFORMS),
                   help="fit to the output aspect ratio (default: center-crop, a plain resize when it matches)")
    p.add_argument("--channels", type=int, choices=[1, 3, 4], default=3,
                   help="1 grayscale, 3 RGB, 4 RGBA (default: %(default)s)")
    p.add_argument("--background", default="white",
                   help="colour that transparency is composited on: name, #rrggbb or r,g,b (default: %(default)s)")
    p.add_argument("--labels", metavar="folders|PATH.csv|PATH.json",
                   help="class labels: first sub-folder name, or a file mapping relative path -> label")
    p.add_argument("--dedup", action="store_true", help="drop images whose output pixels duplicate an earlier one")
    p.add_argument("--max-images", type=int, metavar="N", help="stop after writing N images")
    p.add_argument("--strict", action="store_true", help="stop at the first bad image instead of skipping it")
    p.add_argument("--force", action="store_true", help="replace an existing non-empty --dest")
    p.add_argument("--compress-level", type=int, default=6, metavar="0-9",
                   help="PNG compression level (default: %(default)s)")
    p.add_argument("--workers", type=int, help="decoding threads (default: one per core, at most 8)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    cfg = DatasetToolConfig(
        sources=tuple(args.source), dest=args.dest,
        resolution=parse_resolution(args.resolution) if args.resolution else None,
        resize_filter=args.resize_filter, transform=args.transform, channels=args.channels,
        background=args.background, labels=args.labels, dedup=args.dedup, max_images=args.max_images,
        strict=args.strict, force=args.force, png_compress_level=args.compress_level)
    report = convert_dataset(cfg, progress=not args.no_progress, num_workers=args.workers)
    w, h = report.resolution
    labels = f"{report.label_dim} classes" if report.has_labels else "no labels"
    print(f"wrote {report.num_written} images ({w}x{h}, {report.channels} channels, {labels}) to {report.dest}")
    if report.skipped or report.duplicates:
        print(f"skipped {len(report.skipped)} bad image(s), dropped {len(report.duplicates)} duplicate(s); "
              f"see {report.report_path}", file=sys.stderr)
    return 0
