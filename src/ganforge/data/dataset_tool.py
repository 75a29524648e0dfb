"""The dataset tool: turn folders / zips / lists of images into a training dataset (official layout).

Output layout (the same as NVIDIA's ``dataset_tool.py``, so either toolkit reads the other's datasets)::

    00000/img00000000.png ... 00000/img00000999.png   1000 images per sub-folder
    00001/img00001000.png ...
    dataset.json   {"labels": [["00000/img00000000.png", 3], ...]}  or  {"labels": null}
                   (+ "class_names": [...] when the labels came from names)

``dest`` is a folder, or an uncompressed (``ZIP_STORED``) zip when it ends in ``.zip``; both are written
under a temporary name and renamed at the end. Bad images (corrupt, zero-size, truncated, unsupported,
too small for ``center-crop-wide``, or without a label when labels are used) are skipped and listed
with the reason in ``dest/report.txt`` (folder) or ``<dest stem>-report.txt`` (zip), unless
``strict`` turns the first one into an error. A report beside a zip is only ever written over or deleted
when it is one the tool wrote (it starts with :data:`REPORT_HEADER`); a file of the user's of that name is
left alone and the report goes to ``<dest stem>-report-1.txt`` (or the next free such name).

``dest`` may not be a source, nor contain one: ``--force`` replaces ``dest`` as a whole.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import io
import itertools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, TypeVar

import numpy as np
from PIL import Image
from tqdm import tqdm

from ganforge.config import Config
from ganforge.data.archive import DatasetWriter, atomic_write_bytes
from ganforge.data.labels import assign_labels
from ganforge.data.sources import SourceImage, list_source_images
from ganforge.data.transforms import BadImageError, decode_image, parse_color, prepare_image

IMAGES_PER_FOLDER = 1000
REPORT_HEADER = b"# ganforge dataset: "
"""First bytes of every skip report: the mark of a report file the tool may replace or delete."""
T = TypeVar("T")
R = TypeVar("R")


@dataclasses.dataclass(frozen=True)
class DatasetToolConfig(Config):
    """What ``ganforge dataset`` does; every field maps to one command-line flag.

    Attributes:
        sources: folders (recursive), ``.zip`` archives or text files listing image paths.
        dest: output folder, or a path ending in ``.zip`` for an uncompressed zip.
        resolution: output ``[width, height]``; ``None`` keeps the source size (all images must share it).
        resize_filter: ``box`` (area average, what the StyleGAN2-ADA paper FIDs use), ``lanczos`` or ``bicubic``.
        transform: ``center-crop``, ``center-crop-wide``, ``pad`` or ``stretch``; ``None`` means
            ``center-crop`` (which is a plain resize when the aspect ratios match).
        channels: 1 (grayscale), 3 (RGB) or 4 (RGBA).
        background: colour that transparent pixels are composited on when ``channels < 4`` (and that
            ``pad`` / ``center-crop-wide`` fill with): a name, ``#rrggbb`` or ``r,g,b``.
        labels: ``folders``, a ``.csv`` / ``.json`` labels file, or ``None`` for an unlabelled dataset.
        dedup: drop images whose output pixels exactly equal an earlier image's.
        max_images: stop after writing this many images.
        strict: stop with an error at the first bad image instead of skipping it.
        force: replace an existing non-empty ``dest``.
        png_compress_level: zlib level of the written PNGs, 0 (fastest, largest) to 9.
    """

    sources: tuple[str, ...] = ()
    dest: str = ""
    resolution: tuple[int, int] | None = None
    resize_filter: Literal["box", "lanczos", "bicubic"] = "lanczos"
    transform: Literal["center-crop", "center-crop-wide", "pad", "stretch"] | None = None
    channels: int = 3
    background: str = "white"
    labels: str | None = None
    dedup: bool = False
    max_images: int | None = None
    strict: bool = False
    force: bool = False
    png_compress_level: int = 6

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError("DatasetToolConfig.sources: give at least one source")
        if not self.dest:
            raise ValueError("DatasetToolConfig.dest: give a destination folder or .zip path")
        if self.resolution is not None and (len(self.resolution) != 2 or min(self.resolution) < 1):
            raise ValueError(f"DatasetToolConfig.resolution must be [width, height] > 0, got {self.resolution}")
        if self.transform is not None and self.resolution is None:
            raise ValueError("DatasetToolConfig.transform needs a resolution (the source size is kept without one)")
        if self.channels not in (1, 3, 4) or isinstance(self.channels, bool):
            raise ValueError(f"DatasetToolConfig.channels must be 1, 3 or 4, got {self.channels!r}")
        if self.max_images is not None and self.max_images < 1:
            raise ValueError(f"DatasetToolConfig.max_images must be >= 1, got {self.max_images}")
        if not 0 <= self.png_compress_level <= 9:
            raise ValueError(f"DatasetToolConfig.png_compress_level must be 0-9, got {self.png_compress_level}")
        parse_color(self.background)


@dataclasses.dataclass(frozen=True)
class DatasetToolReport:
    """What :func:`convert_dataset` wrote.

    Attributes:
        dest: the dataset folder or zip.
        num_written: number of images written.
        skipped: ``(source path, reason)`` of each bad image that was skipped.
        duplicates: ``(source path, source path of the kept identical image)`` dropped by ``dedup``.
        resolution: ``(width, height)`` of the written images.
        channels: channels of the written images.
        class_names: names of label ids ``0..K-1`` when labels came from names, else ``None``.
        label_dim: number of classes (``max id + 1``); 0 for an unlabelled dataset.
        report_path: the text file listing skipped images and duplicates, or ``None`` when there are none.
    """

    dest: Path
    num_written: int
    skipped: tuple[tuple[str, str], ...]
    duplicates: tuple[tuple[str, str], ...]
    resolution: tuple[int, int]
    channels: int
    class_names: tuple[str, ...] | None
    label_dim: int
    report_path: Path | None

    @property
    def has_labels(self) -> bool:
        """True when the dataset was written with labels."""
        return self.label_dim > 0


def image_name(index: int) -> str:
    """Archive name of image ``index``: ``00000/img00000000.png`` (1000 images per sub-folder)."""
    return f"{index // IMAGES_PER_FOLDER:05d}/img{index:08d}.png"


def report_path_for(dest: str | Path) -> Path:
    """Where the skip report goes: ``dest/report.txt`` for a folder, ``<stem>-report.txt`` beside a zip."""
    dest = Path(dest)
    return dest.with_name(f"{dest.stem}-report.txt") if dest.suffix.lower() == ".zip" else dest / "report.txt"


def _is_own_report(path: Path) -> bool:
    """True when ``path`` is a regular file the tool wrote (it starts with :data:`REPORT_HEADER`)."""
    try:
        with path.open("rb") as f:
            return path.is_file() and f.read(len(REPORT_HEADER)) == REPORT_HEADER
    except OSError:
        return False


def _zip_report_paths(dest: Path) -> Iterator[Path]:
    """``<stem>-report.txt``, ``<stem>-report-1.txt``, ... beside a zip ``dest``."""
    yield report_path_for(dest)
    for i in itertools.count(1):
        yield dest.with_name(f"{dest.stem}-report-{i}.txt")


def _write_zip_report(dest: Path, report: bytes | None) -> Path | None:
    """Write (or, with ``report=None``, remove) the report beside a zip, touching only the tool's own reports."""
    if report is None:  # remove the reports of a replaced archive; a user's file of such a name stays
        for stale in itertools.takewhile(lambda p: p.exists(), itertools.islice(_zip_report_paths(dest), 100)):
            if _is_own_report(stale):
                stale.unlink(missing_ok=True)
        return None
    path = next(p for p in _zip_report_paths(dest) if not p.exists() and not p.is_symlink() or _is_own_report(p))
    atomic_write_bytes(path, report)
    return path


def _check_dest_is_not_a_source(cfg: DatasetToolConfig) -> None:
    """``--force`` replaces ``dest`` as a whole: refuse a ``dest`` that is a source or contains one."""
    dest = Path(cfg.dest).resolve()
    for source in cfg.sources:
        src = Path(source).resolve()
        if src == dest or dest in src.parents:
            raise ValueError(f"--dest {cfg.dest} {'is' if src == dest else 'contains'} the --source {source}; "
                             "writing there would replace the source: give another --dest")


def encode_png(pixels: np.ndarray, compress_level: int = 6) -> bytes:
    """``[H, W, C]`` uint8 (C = 1, 3, 4) -> PNG bytes (no timestamps or metadata: same pixels, same bytes)."""
    img = Image.fromarray(pixels[:, :, 0], "L") if pixels.shape[2] == 1 else Image.fromarray(pixels)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def _ordered_map(fn: Callable[[T], R], items: Iterable[T], num_workers: int) -> Iterator[tuple[T, R]]:
    """``(item, fn(item))`` in input order, computed by a thread pool with a bounded look-ahead.

    PIL releases the GIL while decoding, resizing and encoding, so threads scale on those steps.
    """
    if num_workers <= 1:
        yield from ((item, fn(item)) for item in items)
        return
    source = iter(items)
    pool = ThreadPoolExecutor(num_workers)
    try:
        pending = collections.deque((item, pool.submit(fn, item)) for item in itertools.islice(source, 4 * num_workers))
        while pending:
            item, future = pending.popleft()
            for nxt in itertools.islice(source, 1):
                pending.append((nxt, pool.submit(fn, nxt)))
            yield item, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _format_report(cfg: DatasetToolConfig, total: int, skipped: list[tuple[str, str]],
                   duplicates: list[tuple[str, str]]) -> bytes:
    lines = [f"{REPORT_HEADER.decode()}{len(skipped)} of {total} input images skipped, {len(duplicates)} duplicates dropped",
             f"# dest: {cfg.dest}"]
    lines += [f"skipped\t{path}\t{reason}" for path, reason in skipped]
    lines += [f"duplicate\t{path}\tsame pixels as {kept}" for path, kept in duplicates]
    return ("\n".join(lines) + "\n").encode("utf-8")


def convert_dataset(cfg: DatasetToolConfig, *, progress: bool = True,
                    num_workers: int | None = None) -> DatasetToolReport:
    """Build a dataset from ``cfg.sources`` into ``cfg.dest`` (see the module docstring for the layout).

    Args:
        cfg: the tool's settings.
        progress: show a tqdm progress bar on stderr.
        num_workers: decoding threads (default: up to 8, one per CPU core).

    Returns:
        What was written, skipped and dropped.

    Raises:
        ValueError: bad sources or settings, no usable image, differing sizes without ``resolution``,
            an existing ``dest`` without ``force``, or (with ``strict``) the first bad image, naming it.
    """
    _check_dest_is_not_a_source(cfg)
    items = list_source_images(cfg.sources)
    assignment = assign_labels(cfg.labels, items)
    background = parse_color(cfg.background)
    transform = cfg.transform or "center-crop"
    workers = num_workers if num_workers is not None else max(1, min(8, os.cpu_count() or 1))

    skipped: list[tuple[str, str]] = []
    usable: list[tuple[SourceImage, int | None]] = []
    for i, item in enumerate(items):
        label = assignment.labels[i] if assignment is not None else None
        if assignment is not None and label is None:
            if cfg.strict:
                raise ValueError(f"{item.display}: {assignment.missing_reason}")
            skipped.append((item.display, assignment.missing_reason))
        else:
            usable.append((item, label))

    def process(entry: tuple[SourceImage, int | None]) -> tuple[np.ndarray, bytes] | BadImageError:
        try:
            try:
                data = entry[0].read()
            except OSError as exc:
                raise BadImageError(f"cannot read ({exc.strerror or exc})") from None
            pixels = prepare_image(decode_image(data), size=cfg.resolution, transform=transform,
                                   resize_filter=cfg.resize_filter, channels=cfg.channels, background=background)
            return pixels, encode_png(pixels, cfg.png_compress_level)
        except BadImageError as exc:
            return exc

    labels_out: list[list[object]] = []
    duplicates: list[tuple[str, str]] = []
    seen: dict[bytes, str] = {}
    first: tuple[str, tuple[int, ...]] | None = None
    with DatasetWriter(cfg.dest, force=cfg.force) as writer, \
            tqdm(total=len(usable), disable=not progress, unit="img", desc="dataset") as bar:
        for (item, label), result in _ordered_map(process, usable, workers):
            bar.update(1)
            if isinstance(result, BadImageError):
                if cfg.strict:
                    raise ValueError(f"{item.display}: {result}")
                skipped.append((item.display, str(result)))
                continue
            pixels, png = result
            if first is None:
                first = (item.display, pixels.shape)
            elif pixels.shape != first[1]:  # only possible without --resolution
                (h, w, _), (h0, w0, _) = pixels.shape, first[1]
                raise ValueError(f"{item.display}: is {w}x{h} but {first[0]} is {w0}x{h0}; images must share "
                                 "one size, or give --resolution to resize them")
            if cfg.dedup:
                digest = hashlib.sha256(repr(pixels.shape).encode() + pixels.tobytes()).digest()
                if digest in seen:
                    duplicates.append((item.display, seen[digest]))
                    continue
                seen[digest] = item.display
            name = image_name(len(labels_out))
            writer.add(name, png)
            labels_out.append([name, label])
            if cfg.max_images is not None and len(labels_out) >= cfg.max_images:
                break
        if first is None or not labels_out:
            why = f"; e.g. {skipped[0][0]}: {skipped[0][1]}" if skipped else ""
            raise ValueError(f"no usable images in {', '.join(cfg.sources)} ({len(skipped)} skipped{why})")

        label_dim = 0
        meta: dict[str, object] = {"labels": None}
        if assignment is not None:
            meta["labels"] = labels_out
            label_dim = max(int(label) for _, label in labels_out) + 1  # type: ignore[call-overload]
            if assignment.class_names is not None:
                meta["class_names"] = list(assignment.class_names)
                label_dim = len(assignment.class_names)
        writer.add("dataset.json", (json.dumps(meta) + "\n").encode("utf-8"))
        report_bytes = _format_report(cfg, len(items), skipped, duplicates) if skipped or duplicates else None
        if report_bytes is not None and not writer.is_zip:
            writer.add("report.txt", report_bytes)
        dest = writer.commit()

    report_path = report_path_for(dest) if report_bytes is not None else None
    if writer.is_zip:
        report_path = _write_zip_report(dest, report_bytes)
    h, w, c = first[1]
    return DatasetToolReport(dest=dest, num_written=len(labels_out), skipped=tuple(skipped),
                             duplicates=tuple(duplicates), resolution=(w, h), channels=c,
                             class_names=assignment.class_names if assignment is not None else None,
                             label_dim=label_dim, report_path=report_path)
