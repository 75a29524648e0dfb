"""Input images of the dataset tool: folders (recursive), ``.zip`` archives and text files listing paths.

Each source yields :class:`SourceImage` items in a deterministic order (sorted by path within a source,
sources in the order given). ``rel`` is the path relative to the source root with ``/`` separators: it
is what label files are keyed by and what ``--labels folders`` takes the class name from.
"""

from __future__ import annotations

import dataclasses
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import Callable

from ganforge.utils.limits import MAX_SOURCE_IMAGE_BYTES, read_capped

IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".pbm", ".pnm"})


@dataclasses.dataclass(frozen=True)
class SourceImage:
    """One input image.

    Attributes:
        display: a path for messages and reports (file path, or ``archive.zip:member``).
        rel: path relative to the source root, ``/``-separated (the key of label files).
        read: returns the file's bytes (raises ``OSError`` when it cannot be read).
    """

    display: str
    rel: str
    read: Callable[[], bytes] = dataclasses.field(repr=False, compare=False)


def is_image_name(name: str) -> bool:
    """True for names with an image extension, excluding hidden files and macOS ``__MACOSX`` / ``._*`` debris."""
    path = PurePosixPath(name.replace("\\", "/"))
    if any(part.startswith(".") or part == "__MACOSX" for part in path.parts):
        return False
    return path.suffix.lower() in IMAGE_EXTENSIONS


def _file_reader(path: Path) -> Callable[[], bytes]:
    """Reads ``path``, refusing (``OSError``) files over :data:`MAX_SOURCE_IMAGE_BYTES` and non-regular files."""
    def read() -> bytes:
        if not path.is_file():
            raise OSError(f"not a regular file: {path}")
        with path.open("rb") as f:
            return read_capped(f, MAX_SOURCE_IMAGE_BYTES, "file size")
    return read


def _folder_images(root: Path) -> list[SourceImage]:
    items = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if is_image_name(rel) and path.is_file():
            items.append(SourceImage(display=str(path), rel=rel, read=_file_reader(path)))
    return sorted(items, key=lambda item: item.rel)


def _zip_images(path: Path) -> list[SourceImage]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path}: not a readable zip archive ({exc})") from None
    lock = threading.Lock()  # one shared handle; reads from worker threads take turns

    def reader(info: zipfile.ZipInfo) -> Callable[[], bytes]:
        def read() -> bytes:
            if info.file_size > MAX_SOURCE_IMAGE_BYTES:  # refused before a byte is decompressed
                raise OSError(f"the member declares {info.file_size} bytes, over the "
                              f"{MAX_SOURCE_IMAGE_BYTES // 1024**2} MiB limit of an input image")
            with lock:
                try:
                    with archive.open(info) as member:  # the declared size may lie: read at most the cap
                        return read_capped(member, MAX_SOURCE_IMAGE_BYTES, "decompressed size")
                except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError) as exc:
                    raise OSError(str(exc)) from None
        return read

    infos = sorted((i for i in archive.infolist() if not i.is_dir() and is_image_name(i.filename)),
                   key=lambda i: i.filename)
    return [SourceImage(display=f"{path}:{i.filename}", rel=i.filename, read=reader(i)) for i in infos]


def _list_file_images(path: Path) -> list[SourceImage]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the list of image paths ({exc})") from None
    items = []
    for line in lines:
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        file = Path(entry) if Path(entry).is_absolute() else path.parent / entry
        items.append(SourceImage(display=str(file), rel=PurePosixPath(entry.replace("\\", "/")).as_posix(),
                                 read=_file_reader(file)))
    return items  # a list keeps the user's order


def list_source_images(sources: tuple[str, ...] | list[str]) -> list[SourceImage]:
    """All input images of the given sources, in order.

    Args:
        sources: folders (searched recursively), ``.zip`` archives, or text files with one image path
            per line (relative paths are relative to the list file; ``#`` starts a comment line).

    Raises:
        ValueError: a source is missing, or no images were found at all.
    """
    if not sources:
        raise ValueError("no --source given")
    items: list[SourceImage] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = _folder_images(path)
        elif path.is_file() and path.suffix.lower() == ".zip":
            found = _zip_images(path)
        elif path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
            raise ValueError(f"{path}: a source must be a folder, a .zip or a text file listing images, "
                             "not a single image")
        elif path.is_file():
            found = _list_file_images(path)
        else:
            raise ValueError(f"{path}: source not found")
        if not found:
            raise ValueError(f"{path}: no images found (looked for {', '.join(sorted(IMAGE_EXTENSIONS))})")
        items.extend(found)
    return items
