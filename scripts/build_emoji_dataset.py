#!/usr/bin/env python
"""Build the bundled Noto Emoji dataset (``datasets/emoji-32.zip``) from the npm package.

Source: ``emoji-datasource-google@16.0.0`` (iamcal/emoji-data), folder ``img/google/64/``: 3786 Noto Emoji
PNGs, 64x64 RGBA, Apache-2.0. The images are composited on white, box-downsampled to 32x32 (an exact
2x2 area average: no ringing around the flat colours and hard edges of emoji art, softer than Lanczos
but without halos, the filter the StyleGAN2-ADA paper's FIDs use, and a smaller archive), labelled
with their emoji.json category (10 classes) and written by the library's dataset tool
(``ganforge.data.convert_dataset``), so this script also exercises it.

Usage::

    python scripts/build_emoji_dataset.py                                  # npm pack, then build datasets/emoji-32.zip
    python scripts/build_emoji_dataset.py --package /tmp/package --force   # an unpacked (or .tgz) npm package
    python scripts/build_emoji_dataset.py --resolution 64 --dest /tmp/emoji-64.zip   # not shipped
    python scripts/build_emoji_dataset.py --package /tmp/package --dest /tmp/e.zip --check-reproducible

The archive is byte-reproducible for a given Pillow build (fixed zip timestamps, sorted entries, PNGs
without metadata); ``--check-reproducible`` builds it twice and compares the bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ganforge.data import DatasetToolConfig, convert_dataset

PACKAGE = "emoji-datasource-google"
VERSION = "16.0.0"
IMAGE_DIR = "img/google/64"
EXPECTED_COUNT = 3786
REPO_ROOT = Path(__file__).resolve().parents[1]


def fetch_package(workdir: Path) -> Path:
    """``npm pack`` the pinned package into ``workdir`` and return the path of the ``.tgz``."""
    try:
        out = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=workdir, check=True,
                             capture_output=True, text=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise SystemExit(f"error: `npm pack {PACKAGE}@{VERSION}` failed ({detail.strip()}); "
                         "download it elsewhere and pass --package PATH") from None
    return workdir / out.stdout.strip().splitlines()[-1]


def unpack(tgz: Path, workdir: Path) -> Path:
    """Extract an npm ``.tgz`` (its files are under ``package/``) and return the package folder."""
    with tarfile.open(tgz) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(workdir, filter="data")  # no absolute paths, links out of the folder, devices
        else:
            tar.extractall(workdir)  # noqa: S202  (Python < 3.10.12 / 3.11.4)
    return workdir / "package"


def check_package(package: Path) -> dict[str, str]:
    """Check name, version and image set of the package; return ``{filename: category}`` for the labels.

    Every image must be a Google image according to ``emoji.json`` (``has_img_google``), so nothing from
    another emoji set (Apple, Twitter, Facebook) can slip in as a fallback.
    """
    meta_path = package / "package.json"
    if not meta_path.is_file():
        raise SystemExit(f"error: {package}: no package.json; expected the unpacked npm package {PACKAGE}@{VERSION}")
    meta = json.loads(meta_path.read_text())
    if (meta.get("name"), meta.get("version")) != (PACKAGE, VERSION):
        raise SystemExit(f"error: {meta_path}: is {meta.get('name')}@{meta.get('version')}, expected {PACKAGE}@{VERSION}")
    files = sorted(p.name for p in (package / IMAGE_DIR).glob("*.png"))
    if len(files) != EXPECTED_COUNT:
        raise SystemExit(f"error: {package / IMAGE_DIR}: {len(files)} PNG images, expected {EXPECTED_COUNT}")
    category: dict[str, str] = {}
    for entry in json.loads((package / "emoji.json").read_text()):
        if entry.get("has_img_google"):
            category[entry["image"]] = entry["category"]
        for variation in (entry.get("skin_variations") or {}).values():
            if variation.get("has_img_google"):
                category[variation["image"]] = entry["category"]
    unknown = sorted(set(files) - set(category))
    if unknown:
        raise SystemExit(f"error: {package / IMAGE_DIR}: {len(unknown)} images are not Google images per "
                         f"emoji.json (e.g. {unknown[0]})")
    return {name: category[name] for name in files}


def build(package: Path, dest: Path, resolution: int, labels: dict[str, str], force: bool) -> Path:
    """Write the dataset with the library's dataset tool; returns ``dest``."""
    with tempfile.TemporaryDirectory() as tmp:
        labels_path = Path(tmp) / "labels.json"
        labels_path.write_text(json.dumps(labels, indent=0, sort_keys=True))
        cfg = DatasetToolConfig(sources=(str(package / IMAGE_DIR),), dest=str(dest), resolution=(resolution, resolution),
                                resize_filter="box", channels=3, background="white", labels=str(labels_path),
                                strict=True, force=force, png_compress_level=9)
        report = convert_dataset(cfg)
    if report.num_written != EXPECTED_COUNT:
        raise SystemExit(f"error: wrote {report.num_written} images, expected {EXPECTED_COUNT}")
    return report.dest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", type=Path, help=f"unpacked {PACKAGE} folder or its .tgz (default: npm pack it)")
    parser.add_argument("--resolution", type=int, default=32, help="output side (default: %(default)s)")
    parser.add_argument("--dest", type=Path, help="output .zip (default: datasets/emoji-32.zip for resolution 32)")
    parser.add_argument("--force", action="store_true", help="replace an existing dest")
    parser.add_argument("--check-reproducible", action="store_true", help="build twice and compare the bytes")
    args = parser.parse_args(argv)
    if args.dest is None:
        if args.resolution != 32:
            parser.error("--dest is required for resolutions other than 32 (only emoji-32.zip is shipped)")
        args.dest = REPO_ROOT / "datasets" / "emoji-32.zip"

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        package = args.package
        if package is None:
            package = unpack(fetch_package(work), work)
        elif package.is_file():
            package = unpack(package, work)
        labels = check_package(package)
        try:
            dest = build(package, args.dest, args.resolution, labels, args.force)
        except ValueError as exc:
            raise SystemExit(f"error: {exc}") from None
        digest = sha256(dest)
        print(f"{dest}: {dest.stat().st_size / 1e6:.2f} MB, sha256 {digest}")
        if args.check_reproducible:
            again = build(package, work / "again.zip", args.resolution, labels, force=True)
            if sha256(again) != digest:
                raise SystemExit(f"error: a second build differs from {dest}: the archive is not reproducible")
            print("reproducible: a second build is byte-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
